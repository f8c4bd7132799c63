"""Fixtures for the end-to-end tests: the real DAG, the real emulator, real Spark, a few tiny images.

One emulator and one Airflow home (SQLite) serve the whole session; each DAG run gets its own
bucket, so its outputs, its cluster (found by its LogUri) and its steps are its own. Airflow runs in
a child process (``airflow dags test``), the emulator in this one, which lets a test arm faults.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Callable

import pytest

from local_emr.airflow_env import airflow_environment
from local_emr.dag_run import DagTestResult, run_dag_test
from local_emr.run_report import RunReport, collect_run
from local_emr.sample_data import SampleUpload, upload_samples
from local_emr.server import Emulator, ensure_bucket, running_emulator
from tests.e2e.e2e_test_env import CLASSES, INPUT_PREFIX, OUTPUT_PREFIX, PER_CLASS, SMALL_RUN

_bucket_numbers = itertools.count()


@dataclass(frozen=True)
class PipelineRun:
    """One DAG run: what went in, how Airflow ended, what S3 and EMR show afterwards."""

    bucket: str
    upload: SampleUpload | None  # None for a later night on an existing bucket
    result: DagTestResult
    report: RunReport


@pytest.fixture(scope="module")  # one emulator per process at a time: see local_emr.server
def emulator(tmp_path_factory) -> Emulator:
    log_file = (tmp_path_factory.mktemp("e2e-emulator") / "emulator.log").open("a", buffering=1)
    workdir = tmp_path_factory.mktemp("e2e-emr")
    with running_emulator(workdir, log=lambda line: print(line, file=log_file)) as running:
        yield running
    log_file.close()


@pytest.fixture(scope="module")
def run_pipeline(emulator, real_weights, tmp_path_factory) -> Callable[..., PipelineRun]:
    """Run the DAG once on fresh sample images in a new bucket, or again on ``bucket`` as it is (a later
    night); ``weights``/``conf`` vary the run (``{bucket}`` in ``weights`` is replaced by the run's
    bucket); ``meanwhile(bucket)`` runs in a thread alongside the DAG run."""
    airflow_home = tmp_path_factory.mktemp("e2e-airflow")

    def run(conf: dict | None = None, weights: str | None = None,
            meanwhile: Callable[[str], None] | None = None, bucket: str | None = None) -> PipelineRun:
        s3 = emulator.client("s3")
        upload = None
        if bucket is None:
            bucket = f"fruits-e2e-{next(_bucket_numbers)}"
            ensure_bucket(s3, bucket)
            upload = upload_samples(s3, bucket, INPUT_PREFIX, PER_CLASS, CLASSES, say=lambda _: None)
        weights_uri = (weights or str(real_weights)).format(bucket=bucket)
        env = airflow_environment(emulator, airflow_home, bucket, weights_uri, poke_interval_s=1)
        work = tmp_path_factory.mktemp(bucket)  # numbered: a later night gets a folder of its own
        helper = threading.Thread(target=meanwhile, args=(bucket,), daemon=True) if meanwhile else None
        if helper:
            helper.start()
        result = run_dag_test(env, work / "airflow.log", {**SMALL_RUN, **(conf or {})})
        if helper:
            helper.join(timeout=60)
        report = collect_run(s3, emulator.client("emr"), bucket, OUTPUT_PREFIX, work / "results")
        return PipelineRun(bucket, upload, result, report)

    return run
