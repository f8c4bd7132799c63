"""DAG structure: the main path reads like the diagram; the cluster teardown is wired as a teardown."""
from __future__ import annotations

from airflow.sdk import TriggerRule

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
    # after the last step, whatever it did
    assert terminate.upstream_task_ids == {"create_cluster", "wait_pca"}
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


def test_retry_safe_tasks_retry(dag):
    for task_id in ("create_cluster", "add_steps"):
        assert dag.get_task(task_id).retries >= 1
    assert dag.get_task("create_cluster").emr_conn_id is None
