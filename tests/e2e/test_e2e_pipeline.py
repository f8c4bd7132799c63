"""The real DAG end to end against the emulator: success, a failing step, failed validation, retries.

Each test is a full ``airflow dags test`` run with real Spark and TensorFlow on 9 small images
(+3 bad files), so these are the slowest tests of the suite; they share one emulator.
"""
from __future__ import annotations

import time

import pytest

from local_emr import faults
from local_emr.sample_data import BAD_FILES

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
