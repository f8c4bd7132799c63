"""Start and stop the emulator: moto's server (S3, EMR, ...) on 127.0.0.1 plus the step runner.

``running_emulator(workdir)`` is the one entry point, used by ``python -m local_emr serve``, the
demo and the tests. Clients reach it with ``endpoint_url=emulator.endpoint_url`` and region
``eu-west-3``; any access key works. moto keeps its state per process, so a process runs one emulator
at a time and each starts from empty S3 and EMR (a step runner would otherwise run another emulator's
steps, or stale ones, too).
"""
from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from local_emr import moto_patches
from local_emr.step_runner import StepRunner

REGION = "eu-west-3"
HOST = "127.0.0.1"
_ONE_PER_PROCESS = threading.Lock()
# moto accepts any credentials; clients still need some to sign requests. Airflow's secret masker hides
# the connection's password wherever it appears in a log, so these are words no log line contains
# otherwise ("local" turned every ".local/" and "localhost" into "***").
FAKE_CREDENTIALS = {"aws_access_key_id": "FAKEEMULATORKEYID", "aws_secret_access_key": "fake-emulator-secret"}


@dataclass(frozen=True)
class Emulator:
    """A running emulator: where to reach it and how to make clients for it."""

    endpoint_url: str
    region: str
    workdir: Path

    def client(self, service: str) -> Any:
        return emulator_client(service, self.endpoint_url, self.region)

    def airflow_connection(self) -> str:
        """An ``AIRFLOW_CONN_AWS_DEFAULT`` value (JSON) for an ``aws`` connection to this emulator."""
        return json.dumps({
            "conn_type": "aws",
            "login": FAKE_CREDENTIALS["aws_access_key_id"],
            "password": FAKE_CREDENTIALS["aws_secret_access_key"],
            "extra": {"region_name": self.region, "endpoint_url": self.endpoint_url},
        })


def emulator_client(service: str, endpoint_url: str, region: str = REGION) -> Any:
    """A boto3 client for a running emulator (local or in another process)."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region, **FAKE_CREDENTIALS)


def ensure_bucket(s3_client: Any, bucket: str, region: str = REGION) -> None:
    if bucket not in {b["Name"] for b in s3_client.list_buckets()["Buckets"]}:
        s3_client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


@contextlib.contextmanager
def running_emulator(workdir: Path, port: int = 0, host: str = HOST,
                     log: Callable[[str], None] = print,
                     keep_step_dirs: bool = False) -> Iterator[Emulator]:
    """Run moto and the step runner until the ``with`` block ends; ``port=0`` picks a free port.

    ``host="0.0.0.0"`` serves other machines too (a container); the endpoint stays 127.0.0.1.
    """
    if not _ONE_PER_PROCESS.acquire(blocking=False):
        raise RuntimeError("an emulator is already running in this process (moto's state is per process)")
    moto_patches.install()
    moto_api_backend.reset()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    server = None
    runner = None
    try:
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        server.start()
        _, bound_port = server.get_host_and_port()
        emulator = Emulator(f"http://{HOST}:{bound_port}", REGION, workdir)
        runner = StepRunner(emulator.client("s3"), workdir, log, keep_step_dirs)
        runner.start()
        yield emulator
    finally:
        if runner is not None:
            runner.stop()
        if server is not None:
            server.stop()
        _ONE_PER_PROCESS.release()

