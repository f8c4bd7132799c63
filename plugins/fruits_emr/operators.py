"""The provider's EMR create-cluster and add-steps operators, made safe to retry.

- ``AdoptingEmrCreateJobFlowOperator``: a retry adopts the live cluster that already carries this
  run's name instead of starting (and paying for) a second one.
- ``IdempotentEmrAddStepsOperator``: a retry reuses same-named steps that are pending, running or
  done instead of queueing duplicates (apache/airflow#28704), and pushes each step id under its name.
"""
from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator, EmrCreateJobFlowOperator

ACTIVE_CLUSTER_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
REUSABLE_STEP_STATES = frozenset({"PENDING", "RUNNING", "COMPLETED"})


class AdoptingEmrCreateJobFlowOperator(EmrCreateJobFlowOperator):
    """Create the run's cluster, or adopt the one a previous try of this task already created."""

    def execute(self, context: Any) -> str | None:
        name = self.job_flow_overrides["Name"]
        existing = self.hook.get_cluster_id_by_name(name, ACTIVE_CLUSTER_STATES)
        if existing:
            self.log.warning("Adopting cluster %s, started for this run by an earlier try (%s)",
                             existing, name)
            self._job_flow_id = existing
            return existing
        return super().execute(context)


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
