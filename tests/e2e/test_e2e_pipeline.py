"""The real DAG end to end against the emulator: success, three nights of snapshots, a failing step,
failed validation, retries.

Each run is a full ``airflow dags test`` with real Spark and TensorFlow on 9 small images (+3 bad files),
so these are the slowest tests of the suite; they share one emulator. The three-night test continues
the happy run's bucket: night 2 adds fewer than k new images and replaces one, night 3 deletes two and
replaces the corrupt file with a valid photo; after each night, latest.json points at ONE snapshot that
covers exactly the objects under the input prefix, in one PCA basis.
"""
from __future__ import annotations

import io
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from fruits_emr.catalogue import FEATURIZED, QUARANTINED, from_table
from fruits_emr.layout import split_s3_uri
from fruits_emr.reader import load_latest
from fruits_spark.covariance import PcaModel
from fruits_spark.pca_storage import UNIT_ROUNDOFF
from local_emr import faults
from local_emr.sample_data import BAD_FILES, upload_samples
from tests.e2e.e2e_test_env import CLASSES, INPUT_PREFIX, OUTPUT_PREFIX, PER_CLASS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _steps(run) -> list[tuple[str, str]]:
    return [(step["name"], step["state"]) for step in run.report.steps]


def _assert_cluster_terminated(run) -> None:
    assert run.report.cluster, "no cluster logged into the run's bucket"
    assert run.report.cluster["state"] == "TERMINATED", run.report.cluster


@pytest.fixture(scope="module")
def happy_run(run_pipeline):
    """A run whose first add-steps try fails after the steps were added (as a lost response does)."""
    faults.fail_after("AddJobFlowSteps")
    return run_pipeline()


def test_happy_path_publishes_validated_features_and_terminates_the_cluster(happy_run):
    run, report = happy_run, happy_run.report
    assert run.result.succeeded, f"see {run.result.log_path}"
    featurize = report.reports["featurize_report.json"]
    assert featurize["images_found"] == run.upload.images + len(BAD_FILES)
    assert featurize["featurized"] == run.upload.images
    reasons = {reason: n for reason, n in featurize["quarantine_by_reason"].items() if n}
    assert reasons == {reason: 1 for _, _, reason in BAD_FILES}
    pca = report.reports["pca_report.json"]
    assert pca["k"] == 4 and len(pca["explained_variance"]) == 4
    assert 0 < pca["cumulative_explained_variance"][-1] <= 1
    validation = report.reports["validation.json"]
    assert validation["passed"] is True, validation["failed_checks"]
    assert report.latest["run_uri"] == report.run_uri.rstrip("/")
    plots = [path for name, path in report.files.items() if name.startswith("plots/")]
    assert plots and all(path.read_bytes()[:8] == PNG_MAGIC for path in plots)
    assert _steps(run) == [("featurize", "COMPLETED"), ("pca", "COMPLETED")]
    _assert_cluster_terminated(run)


def test_retried_add_steps_reuses_the_steps_it_already_added(happy_run):
    log = happy_run.result.log_text()
    assert "InternalServerError" in log  # the first try did fail ...
    assert "Reusing step featurize" in log  # ... and the retry found its steps
    assert len(happy_run.report.steps) == 2


def _input_keys(s3, bucket: str) -> dict[str, str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{INPUT_PREFIX}/")["Contents"]
    return {f"s3://{bucket}/{obj['Key']}": obj["ETag"].strip('"') for obj in listing}


def _parquet_rows(s3, uri: str) -> list[dict]:
    bucket, prefix = split_s3_uri(uri)
    rows = []
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/").get("Contents", []):
        if obj["Key"].endswith(".parquet"):
            rows += pq.read_table(
                io.BytesIO(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            ).to_pylist()
    return rows


def _object(s3, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def assert_exact_snapshot(s3, bucket: str, night) -> dict:
    """The published snapshot covers the input prefix exactly, in one basis; returns its catalogue."""
    assert night.result.succeeded, f"see {night.result.log_path}"
    snapshot = load_latest(bucket, OUTPUT_PREFIX, s3_client=s3)
    assert snapshot.pointer["run_uri"] == night.report.run_uri.rstrip("/")
    entries = from_table(pq.read_table(io.BytesIO(_object(s3, snapshot.pointer["snapshot"]["catalogue"]))))
    current = _input_keys(s3, bucket)
    assert {path: e.etag for path, e in entries.items()} == current  # every object once, with its content
    featurized = {path for path, e in entries.items() if e.status == FEATURIZED}
    pca_paths = snapshot.table.column("path").to_pylist()
    assert sorted(pca_paths) == sorted(featurized)  # one PCA row per featurized image, no other row
    assert set(snapshot.table.column("model_id").to_pylist()) == {snapshot.model_id}

    model = PcaModel.from_bytes(_object(s3, snapshot.pointer["snapshot"]["pca_model"] + "/model.npz"))
    features = {row["path"]: row["features"] for p in snapshot.pointer["snapshot"]["partitions"]
                for d in p["dirs"] for row in _parquet_rows(s3, d)}
    assert sorted(features) == sorted(featurized)  # the partitions hold exactly the snapshot's rows
    vectors = np.asarray(snapshot.table.column("pca").to_pylist())
    expected = model.project(np.asarray([features[path] for path in pca_paths], dtype=np.float32))
    # one basis for every row; the stored values keep float16's precision (fruits_spark.pca_storage)
    np.testing.assert_allclose(vectors, expected, rtol=2 * UNIT_ROUNDOFF, atol=1e-3)
    return entries


def _quarantine(entries) -> dict[str, str]:
    return {path.rsplit("/", 1)[1]: e.reason for path, e in entries.items() if e.status == QUARANTINED}


def test_three_nights_publish_one_exact_snapshot_each(emulator, run_pipeline, happy_run):
    """Night 1 is the happy run; nights 2 and 3 change its bucket."""
    s3 = emulator.client("s3")
    night1 = happy_run
    bucket = night1.bucket
    entries = assert_exact_snapshot(s3, bucket, night1)
    assert _quarantine(entries) == {"empty.jpg": "empty_file", "corrupt.jpg": "corrupt_image",
                                    "notes.txt": "unsupported_extension"}
    assert len([e for e in entries.values() if e.status == FEATURIZED]) == PER_CLASS * CLASSES

    # night 2: one new image per class (fewer than k) and one image replaced by another photo
    upload_samples(s3, bucket, INPUT_PREFIX, PER_CLASS + 1, CLASSES, bad_files=False, say=lambda _: None)
    featurized_paths = sorted(p for p, e in entries.items() if e.status == FEATURIZED)
    replaced, donor = featurized_paths[0], featurized_paths[-1]
    s3.put_object(Bucket=bucket, Key=split_s3_uri(replaced)[1], Body=_object(s3, donor))
    night2 = run_pipeline(bucket=bucket)
    entries2 = assert_exact_snapshot(s3, bucket, night2)
    assert len([e for e in entries2.values() if e.status == FEATURIZED]) == (PER_CLASS + 1) * CLASSES
    assert entries2[replaced].partition == night2.report.latest["run_key"]  # featurized again
    assert _quarantine(entries2) == _quarantine(entries)  # unchanged bad files are not retried

    # night 3: two images deleted, the corrupt upload fixed
    deleted = featurized_paths[1:3]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": split_s3_uri(p)[1]} for p in deleted]})
    corrupt = next(p for p in entries if p.endswith("/corrupt.jpg"))
    s3.put_object(Bucket=bucket, Key=split_s3_uri(corrupt)[1], Body=_object(s3, donor))
    night3 = run_pipeline(bucket=bucket)
    entries3 = assert_exact_snapshot(s3, bucket, night3)
    assert not set(deleted) & set(entries3)
    assert entries3[corrupt].status == FEATURIZED
    assert _quarantine(entries3) == {"empty.jpg": "empty_file", "notes.txt": "unsupported_extension"}
    assert night3.report.latest["based_on"] == night2.report.latest["run_key"]


def test_failing_featurize_step_fails_the_run_and_still_terminates_the_cluster(run_pipeline):
    run = run_pipeline(weights="s3://{bucket}/missing/mobilenet_v2.weights.h5")

    assert not run.result.succeeded
    assert _steps(run) == [("featurize", "FAILED"), ("pca", "CANCELLED")]
    reason = run.report.steps[0]["failure"]["Reason"]
    assert reason in run.result.log_text()
    assert run.report.latest is None
    _assert_cluster_terminated(run)


def test_step_killed_on_the_cluster_fails_the_run_and_the_teardown_still_runs(emulator, run_pipeline):
    emr = emulator.client("emr")

    def cancel_featurize_once_running(bucket: str) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            for cluster in emr.list_clusters(ClusterStates=["RUNNING"])["Clusters"]:
                detail = emr.describe_cluster(ClusterId=cluster["Id"])["Cluster"]
                if detail.get("LogUri", "").startswith(f"s3://{bucket}/"):
                    running = emr.list_steps(ClusterId=cluster["Id"], StepStates=["RUNNING"])["Steps"]
                    if running:
                        emr.cancel_steps(ClusterId=cluster["Id"], StepIds=[running[0]["Id"]])
                        return
            time.sleep(0.5)

    run = run_pipeline(meanwhile=cancel_featurize_once_running)

    assert not run.result.succeeded
    (featurize, featurize_state), (pca, pca_state) = _steps(run)
    assert (featurize, featurize_state) == ("featurize", "CANCELLED")
    # EMR goes on with the next step after a cancel; the teardown's termination then cancels it,
    # unless it failed first (it has no features to read)
    assert (pca, pca_state) in {("pca", "CANCELLED"), ("pca", "FAILED")}
    assert run.report.latest is None
    _assert_cluster_terminated(run)


def test_failed_validation_publishes_nothing_and_terminates_the_cluster(run_pipeline):
    run = run_pipeline(conf={"min_explained_variance": 0.99999})

    assert not run.result.succeeded
    assert _steps(run) == [("featurize", "COMPLETED"), ("pca", "COMPLETED")]
    validation = run.report.reports["validation.json"]
    assert validation["failed_checks"] == ["cumulative_explained_variance"]
    assert run.report.latest is None
    _assert_cluster_terminated(run)


def test_no_credential_appears_in_any_task_or_step_log(happy_run, emulator):
    """The run's AWS credentials (the emulator's recognisable fake ones) are in no log: the Airflow output
    with every task log, Airflow's log files, the EMR step and bootstrap logs in S3, the emulator's files."""
    import gzip

    from local_emr.server import FAKE_CREDENTIALS

    logs = {str(happy_run.result.log_path): happy_run.result.log_text()}
    for folder in (happy_run.airflow_home / "logs", emulator.workdir):
        logs.update({str(p): p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file()
                     and p.suffix not in {".parquet", ".npz", ".jpg", ".png", ".h5", ".zip", ".db"}})
    s3 = emulator.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=happy_run.bucket,
                                                            Prefix=f"{OUTPUT_PREFIX}/emr-logs/"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=happy_run.bucket, Key=obj["Key"])["Body"].read()
            logs[obj["Key"]] = gzip.decompress(body).decode(errors="replace") if obj["Key"].endswith(".gz") \
                else body.decode(errors="replace")
    assert any("/steps/" in name for name in logs) and len(logs) > 5
    leaks = {(name, secret) for name, text in logs.items() for secret in FAKE_CREDENTIALS.values()
             if secret in text}
    assert leaks == set()
