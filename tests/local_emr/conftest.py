"""Fixtures for the emulator tests: one running emulator per session, a fresh bucket per test."""
from __future__ import annotations

import itertools
from typing import Any, Callable

import pytest

from local_emr.server import Emulator, running_emulator

_bucket_numbers = itertools.count()


@pytest.fixture(scope="module")  # one emulator per process at a time: see local_emr.server
def emulator(tmp_path_factory) -> Emulator:
    with running_emulator(tmp_path_factory.mktemp("local-emr"), log=lambda _: None) as running:
        yield running


@pytest.fixture
def s3(emulator):
    return emulator.client("s3")


@pytest.fixture
def emr(emulator):
    return emulator.client("emr")


@pytest.fixture
def bucket(s3, emulator) -> str:
    name = f"emulator-test-{next(_bucket_numbers)}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    return name


@pytest.fixture
def put_script(s3, bucket) -> Callable[[str, str], str]:
    """Upload a Python script under ``code/``; returns its s3:// URI."""
    def put(name: str, source: str) -> str:
        s3.put_object(Bucket=bucket, Key=f"code/{name}", Body=source.encode())
        return f"s3://{bucket}/code/{name}"
    return put


@pytest.fixture
def start_cluster(emr, bucket) -> Callable[..., str]:
    """Start a cluster that waits for steps and logs to ``s3://BUCKET/logs/``; returns its id."""
    def start(**overrides: Any) -> str:
        request = {
            "Name": "emulator-test",
            "ReleaseLabel": "emr-7.5.0",
            "LogUri": f"s3://{bucket}/logs/",
            "Instances": {
                "KeepJobFlowAliveWhenNoSteps": True,
                "InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge",
                                    "InstanceCount": 1}],
            },
            "JobFlowRole": "EMR_EC2_DefaultRole",
            "ServiceRole": "EMR_DefaultRole",
            **overrides,
        }
        return emr.run_job_flow(**request)["JobFlowId"]
    return start
