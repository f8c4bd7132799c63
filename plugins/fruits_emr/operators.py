"""The provider's EMR create-cluster, add-steps and terminate operators, made safe to retry.

- ``AdoptingEmrCreateJobFlowOperator``: a retry adopts the live cluster that already carries this
  run's idempotency token (tag) instead of starting (and paying for) a second one; if a retried call
  started two, it keeps the oldest and terminates the others.
- ``RunClustersTerminateOperator``: the teardown terminates the cluster id from XCom and every live
  cluster carrying the run's token, so a cluster whose id never reached XCom is not left running.
- ``IdempotentEmrAddStepsOperator``: a retry reuses same-named steps that are pending, running or
  done instead of queueing duplicates (apache/airflow#28704), and pushes each step id under its name.
"""
from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.operators.emr import (
    EmrAddStepsOperator,
    EmrCreateJobFlowOperator,
    EmrTerminateJobFlowOperator,
)

from fruits_emr.job_flow import DEPLOYMENT_TAG, TOKEN_TAG

ACTIVE_CLUSTER_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
REUSABLE_STEP_STATES = frozenset({"PENDING", "RUNNING", "COMPLETED"})


def _identity(tags: list[dict[str, str]]) -> dict[str, str]:
    """The deployment id and token tags of a cluster; refuses tags without them (they match anything)."""
    by_key = {tag["Key"]: tag["Value"] for tag in tags}
    missing = {DEPLOYMENT_TAG, TOKEN_TAG} - by_key.keys()
    if missing:
        raise ValueError(f"the job flow's tags lack {sorted(missing)}: cannot identify the run's clusters")
    return {key: by_key[key] for key in (DEPLOYMENT_TAG, TOKEN_TAG)}


def find_run_clusters(emr_client: Any, tags: list[dict[str, str]]) -> list[str]:
    """Ids of the live clusters carrying the same deployment id and token as ``tags``, oldest first.

    ListClusters cannot filter by tag, so each live cluster's tags are read with DescribeCluster.
    """
    wanted = _identity(tags)
    found = []
    for page in emr_client.get_paginator("list_clusters").paginate(ClusterStates=ACTIVE_CLUSTER_STATES):
        for summary in page["Clusters"]:
            cluster = emr_client.describe_cluster(ClusterId=summary["Id"])["Cluster"]
            have = {tag["Key"]: tag["Value"] for tag in cluster.get("Tags", [])}
            if all(have.get(key) == value for key, value in wanted.items()):
                found.append((summary["Status"]["Timeline"]["CreationDateTime"], summary["Id"]))
    return [cluster_id for _, cluster_id in sorted(found)]


class AdoptingEmrCreateJobFlowOperator(EmrCreateJobFlowOperator):
    """Create the run's cluster, or adopt the one a previous try (or a retried call) already created."""

    def execute(self, context: Any) -> str | None:
        existing = find_run_clusters(self.hook.conn, self.job_flow_overrides["Tags"])
        if not existing:
            return super().execute(context)
        adopted, *duplicates = existing
        self.log.warning("Adopting cluster %s, started for this run by an earlier try", adopted)
        if duplicates:
            self.log.warning("Terminating duplicate clusters of this run: %s", duplicates)
            self.hook.conn.terminate_job_flows(JobFlowIds=duplicates)
        self._job_flow_id = adopted
        return adopted


class RunClustersTerminateOperator(EmrTerminateJobFlowOperator):
    """Terminate the run's cluster (id from XCom, if any) and every live cluster carrying the run's token."""

    template_fields = (*EmrTerminateJobFlowOperator.template_fields, "job_flow_overrides")

    def __init__(
        self, *, job_flow_overrides: dict | str, job_flow_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(job_flow_id=job_flow_id, deferrable=False, **kwargs)
        self.job_flow_overrides = job_flow_overrides

    def execute(self, context: Any) -> None:
        tagged = find_run_clusters(self.hook.conn, self.job_flow_overrides["Tags"])
        doomed = sorted({*tagged, *([self.job_flow_id] if self.job_flow_id else [])})
        if not doomed:
            self.log.info("No cluster of this run to terminate")
            return
        self.log.info("Terminating the run's clusters %s (from XCom: %s)", doomed, self.job_flow_id or "none")
        self.hook.conn.terminate_job_flows(JobFlowIds=doomed)


def plan_step_reuse(
    steps: list[dict], existing: dict[str, tuple[str, str]]
) -> tuple[list[str | None], list[dict]]:
    """Which requested steps can reuse an existing step id, and which must be added.

    ``existing`` maps a step name to (id, state) of the newest step of that name on the cluster.
    Once one step must be added again, every later step is added too, so the order is kept.
    """
    reused: list[str | None] = []
    to_add: list[dict] = []
    for step in steps:
        found = existing.get(step["Name"])
        if not to_add and found and found[1] in REUSABLE_STEP_STATES:
            reused.append(found[0])
        else:
            reused.append(None)
            to_add.append(step)
    return reused, to_add


class IdempotentEmrAddStepsOperator(EmrAddStepsOperator):
    """Add the steps that are not already on the cluster; returns all step ids in request order."""

    def _existing_steps(self, job_flow_id: str) -> dict[str, tuple[str, str]]:
        newest_first: dict[str, tuple[str, str]] = {}
        for page in self.hook.conn.get_paginator("list_steps").paginate(ClusterId=job_flow_id):
            for step in page["Steps"]:
                newest_first.setdefault(step["Name"], (step["Id"], step["Status"]["State"]))
        return newest_first

    def execute(self, context: Any) -> list[str]:
        if not self.job_flow_id:
            raise ValueError(f"{self.task_id}: job_flow_id is required (job_flow_name is not supported)")
        requested = list(self.steps)
        reused, to_add = plan_step_reuse(requested, self._existing_steps(self.job_flow_id))
        for step, step_id in zip(requested, reused):
            if step_id:
                self.log.info("Reusing step %s (%s) already on cluster %s",
                              step["Name"], step_id, self.job_flow_id)
        added: list[str] = []
        if to_add:
            self.steps = to_add
            added = super().execute(context)
        added_ids = iter(added)
        step_ids = [step_id or next(added_ids) for step_id in reused]
        for step, step_id in zip(requested, step_ids):
            context["ti"].xcom_push(key=step["Name"], value=step_id)
        return step_ids
