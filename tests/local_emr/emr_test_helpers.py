"""Helpers for the emulator tests: EMR step requests, polling, reading what landed in S3."""
from __future__ import annotations

import gzip
import time
from typing import Any, Callable

import pytest


def spark_step(name: str, *args: str, action_on_failure: str = "CONTINUE",
               jar: str = "command-runner.jar") -> dict[str, Any]:
    return {"Name": name, "ActionOnFailure": action_on_failure,
            "HadoopJarStep": {"Jar": jar, "Args": ["spark-submit", *args]}}


def wait_until(condition: Callable[[], Any], timeout: float = 180, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy; fails the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def step_state(emr, cluster_id: str, step_id: str) -> str:
    return emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]["State"]


def wait_for_step(emr, cluster_id: str, step_id: str, states: tuple[str, ...] = (
        "COMPLETED", "FAILED", "CANCELLED")) -> dict[str, Any]:
    wait_until(lambda: step_state(emr, cluster_id, step_id) in states, what=f"step in {states}")
    return emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]


def cluster_status(emr, cluster_id: str) -> dict[str, Any]:
    return emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]


def read_gzip_object(s3, uri: str) -> str:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).decode()


def read_tree(s3, bucket: str, prefix: str) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listing}
