"""Fixtures for the DAG tests: a throwaway Airflow home, a moto server for S3 + EMR, provider hooks.

The Airflow settings are environment variables set by tests/conftest.py before Airflow is first
imported, so the DAG tests never touch a real Airflow installation. AWS calls go to a moto server in
this process (port 0), reached through the ``aws_default`` connection exactly as the local emulator is.
"""
from __future__ import annotations

import os
import time
import urllib.request

import pytest

from tests.dag.dag_test_env import BUCKET, DAG_FILE, REGION, aws_connection

os.environ.setdefault("FRUITS_EMR_POKE_INTERVAL", "1")
for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(name, "testing")


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server for S3 and EMR in this process, on a free port; EMR calls filed under eu-west-3."""
    from moto.server import ThreadedMotoServer

    from local_emr.moto_patches import file_emr_calls_under_signed_region

    file_emr_calls_under_signed_region()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """A fresh moto state, an ``aws_default`` connection pointing at it and an empty bucket."""
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", aws_connection(moto_endpoint))
    monkeypatch.setenv("FRUITS_EMR_BUCKET", BUCKET)
    import boto3

    boto3.client("s3", region_name=REGION, endpoint_url=moto_endpoint).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return moto_endpoint


@pytest.fixture
def s3_hook(aws):
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id="aws_default")


@pytest.fixture
def emr_client(aws):
    from airflow.providers.amazon.aws.hooks.emr import EmrHook

    return EmrHook(aws_conn_id="aws_default", emr_conn_id=None).conn


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated SQLite metadata database in the throwaway AIRFLOW_HOME; returns seconds it took."""
    from airflow.utils import db

    started = time.perf_counter()
    db.initdb()
    return time.perf_counter() - started


@pytest.fixture(scope="session")
def dag():
    """The ``fruits_features`` DAG as a DagBag parses it."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.dags["fruits_features"]
