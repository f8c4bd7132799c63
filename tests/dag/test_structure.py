"""DAG structure: the main path reads like the diagram; the cluster teardown is wired as a teardown."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from airflow.sdk import TriggerRule
from airflow.sdk.exceptions import AirflowFailException

from fruits_emr.budget import BudgetExceeded
from fruits_emr.config import ConfigError
from fruits_emr.publish import PublishRefused
from fruits_emr.sensors import StepFailed
from fruits_emr.validation import ValidationError

MAIN_PATH = [
    "check_config", "plan_inputs", "estimate_cost", "should_start_cluster", "upload_artifacts",
    "build_job_flow", "create_cluster", "add_steps", "wait_featurize", "wait_pca", "validate", "publish",
    "cleanup",
]


def test_main_path_is_one_chain(dag):
    assert set(dag.task_ids) == {*MAIN_PATH, "terminate_cluster"}
    for before, after in zip(MAIN_PATH, MAIN_PATH[1:]):
        assert after in dag.get_task(before).downstream_task_ids, f"{before} -> {after}"
    for position, task_id in enumerate(MAIN_PATH):
        assert dag.get_task(task_id).upstream_task_ids <= set(MAIN_PATH[:position]), task_id


def test_terminate_is_the_clusters_teardown(dag):
    terminate = dag.get_task("terminate_cluster")
    assert terminate.is_teardown and terminate.trigger_rule == TriggerRule.ALL_DONE_SETUP_SUCCESS
    assert dag.get_task("create_cluster").is_setup
    # build_job_flow is a setup too: the teardown runs even when create_cluster failed (no id in XCom)
    assert dag.get_task("build_job_flow").is_setup
    assert terminate.upstream_task_ids == {"build_job_flow", "create_cluster", "wait_pca"}
    assert {"job_flow_id", "job_flow_overrides"} <= set(terminate.template_fields)
    assert terminate.downstream_task_ids == set()


def test_no_leaf_hides_a_failure(dag):
    leaves = {t.task_id for t in dag.leaves if not t.is_teardown}
    assert leaves == {"cleanup"}  # a failed step, validation or publish reaches it: upstream_failed
    assert dag.get_task("cleanup").trigger_rule == TriggerRule.NONE_FAILED  # runs on nights with no cluster


def test_short_circuit_skips_the_cluster_path_but_lets_cleanup_run(dag):
    gate = dag.get_task("should_start_cluster")
    assert gate.ignore_downstream_trigger_rules is False  # skips its direct downstream; others follow rules
    assert gate.get_flat_relative_ids(upstream=False) == set(MAIN_PATH[4:]) | {"terminate_cluster"}
    after_gate = set(MAIN_PATH[4:-1]) | {"terminate_cluster"}
    assert {dag.get_task(t).trigger_rule for t in after_gate - {"terminate_cluster"}} == {
        TriggerRule.ALL_SUCCESS
    }


def test_gate_stops_on_dry_run_or_an_unchanged_snapshot(dag):
    gate = dag.get_task("should_start_cluster").python_callable
    plan = {"total_found": 10, "selected": 4, "deferred": 0, "changes": True}
    estimate = {"estimated_eur": 0.13}
    assert gate({"dry_run": False}, plan, estimate) is True
    assert gate({"dry_run": True}, plan, estimate) is False
    assert gate({"dry_run": False}, {**plan, "selected": 0, "changes": False}, estimate) is False
    assert (
        gate({"dry_run": False}, {**plan, "selected": 0}, estimate) is True
    )  # deletions need a new snapshot


def test_sensors_reschedule_and_take_ids_from_upstream(dag):
    for task_id in ("wait_featurize", "wait_pca"):
        sensor = dag.get_task(task_id)
        assert sensor.mode == "reschedule"
        assert "timeout_s" in sensor.template_fields and "step_id" in sensor.template_fields


def test_publish_declares_the_latest_asset(dag):
    (asset,) = dag.get_task("publish").outlets
    assert asset.name == "fruits_features_latest"


def test_every_task_retries_with_back_off(dag):
    for task in dag.tasks:  # all idempotent: S3 work, adoption, step reuse, sensors, teardown, publish
        assert task.retries >= 2, task.task_id
        assert task.retry_exponential_backoff >= 2 and task.max_retry_delay <= timedelta(minutes=10), (
            task.task_id
        )
    assert dag.get_task("create_cluster").emr_conn_id is None


@pytest.mark.parametrize("error", [ConfigError, BudgetExceeded, ValidationError, PublishRefused, StepFailed])
def test_permanent_failures_are_never_retried(error):
    assert issubclass(error, AirflowFailException)


def test_a_run_has_a_deadline_and_a_broken_nightly_pauses(dag):
    assert timedelta(hours=1) < dag.dagrun_timeout < timedelta(days=1)  # before the next nightly run
    assert 1 <= dag.max_consecutive_failed_dag_runs <= 5


def test_step_sensors_never_defer_even_when_airflow_defaults_to_deferring():
    probe = (
        "import json; from fruits_emr.sensors import DiagnosingEmrStepSensor as S; "
        "print(json.dumps(S(task_id='t', job_flow_id='j', step_id='s').deferrable))"
    )
    env = {**os.environ, "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False
