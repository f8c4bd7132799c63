"""Fixtures for the output-side tests: an in-process moto S3 in eu-west-3 reached through the real
S3Hook (no Airflow connection: boto3 reads the fake credentials set here), and a run layout."""
from __future__ import annotations

import pytest

from fruits_emr.layout import RunLayout
from tests.outputs.run_outputs import BUCKET, REGION, make_layout


@pytest.fixture(autouse=True)
def _fake_aws_env(monkeypatch, tmp_path_factory):
    """Credentials and region for boto3 inside moto; never real ones. Airflow's home goes to a tmp dir."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path_factory.getbasetemp() / "airflow-home"))


@pytest.fixture
def s3_hook():
    """The provider's S3Hook on an empty moto bucket in eu-west-3."""
    from moto import mock_aws

    with mock_aws():
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        hook = S3Hook(aws_conn_id=None, region_name=REGION)
        hook.create_bucket(BUCKET, region_name=REGION)
        yield hook


@pytest.fixture
def layout() -> RunLayout:
    return make_layout()
