"""The graph view reads like the README's diagram: three groups, and no fan of XCom edges."""
from __future__ import annotations

GROUPS = {
    "plan": {"check_config", "plan_inputs", "estimate_cost", "should_start_cluster"},
    "cluster": {"upload_artifacts", "build_job_flow", "create_cluster", "add_steps", "wait_featurize",
                "wait_pca", "terminate_cluster"},
    "results": {"validate", "publish", "cleanup"},
}


def test_tasks_are_grouped_plan_cluster_results(dag):
    for group, task_ids in GROUPS.items():
        assert {t for t in dag.task_ids if dag.get_task(t).task_group.group_id == group} == task_ids


def test_the_config_and_the_plan_are_pulled_not_wired_to_every_task(dag):
    assert dag.get_task("check_config").downstream_task_ids == {"plan_inputs", "should_start_cluster"}
    assert dag.get_task("plan_inputs").downstream_task_ids == {"estimate_cost", "should_start_cluster"}
    edges = sum(len(dag.get_task(t).downstream_task_ids) for t in dag.task_ids)
    assert edges <= 23  # 30 with the config and the plan passed as arguments
