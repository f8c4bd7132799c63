"""Patches that make moto's EMR answer like EMR where the emulator and the DAG rely on it.

moto 5.2 (checked against 5.2.5):
- files every EMR call under us-east-1 when an endpoint URL is used (it reads the region from the
  host name only); EMR clients here sign for eu-west-3, so the region is read from the signature;
- has no CancelSteps, GetAutoTerminationPolicy or PutAutoTerminationPolicy, and drops the
  ``AutoTerminationPolicy`` of RunJobFlow;
- never reports a step's FailureDetails nor a cluster's StateChangeReason code;
- accepts steps on terminated clusters and leaves their steps PENDING when a cluster terminates.

AddJobFlowSteps also honours ``local_emr.faults`` (fail after adding, for retry tests).

``install()`` applies all patches once, in the process that runs the moto server.
"""
from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.emr.exceptions import ValidationException
from moto.emr.models import Cluster, ElasticMapReduceBackend, Step
from moto.emr.responses import ElasticMapReduceResponse

from local_emr import faults
from local_emr.emr_states import (
    FINISHED_STEP_STATES,
    STATE_LOCK,
    cancel_unfinished_steps,
    end_step,
    is_terminated,
    set_cluster_reason,
)

_installed = False


def install() -> None:
    """Apply every patch (idempotent)."""
    global _installed
    if _installed:
        return
    file_emr_calls_under_signed_region()
    _report_failure_details()
    _report_cluster_reason_code()
    _cancel_steps_on_termination()
    _record_user_termination()
    _reject_steps_on_terminated_clusters()
    _keep_auto_termination_policy()
    ElasticMapReduceResponse.cancel_steps = _cancel_steps_action
    _installed = True


def file_emr_calls_under_signed_region() -> None:
    """EMR calls go to the region their signature names, not us-east-1 (moto reads only the host name)."""
    ElasticMapReduceResponse.get_region_from_url = BaseResponse.get_region_from_url


def _report_failure_details() -> None:
    plain_status = Step.status.fget

    def status(step: Step) -> dict[str, Any]:
        result = plain_status(step)
        details = getattr(step, "failure_details", None)
        if details:
            result["FailureDetails"] = details
        return result

    Step.status = property(status)


def _report_cluster_reason_code() -> None:
    plain_status = Cluster.status.fget

    def status(cluster: Cluster) -> dict[str, Any]:
        result = plain_status(cluster)
        code = getattr(cluster, "state_change_code", None)
        if code:
            result["StateChangeReason"]["Code"] = code
        return result

    Cluster.status = property(status)


def _cancel_steps_on_termination() -> None:
    plain_terminate = Cluster.terminate

    def terminate(cluster: Cluster) -> None:
        with STATE_LOCK:
            cancel_unfinished_steps(cluster, "Cancelled because the cluster was terminated.")
            plain_terminate(cluster)

    Cluster.terminate = terminate


def _record_user_termination() -> None:
    plain_terminate_job_flows = ElasticMapReduceBackend.terminate_job_flows

    def terminate_job_flows(backend: ElasticMapReduceBackend, job_flow_ids: list[str]) -> list[Cluster]:
        with STATE_LOCK:
            running = [c for c in backend.describe_job_flows(job_flow_ids) if not is_terminated(c)]
            terminated = plain_terminate_job_flows(backend, job_flow_ids)
            for cluster in running:
                set_cluster_reason(cluster, "USER_REQUEST", "Terminated by user request")
            return terminated

    ElasticMapReduceBackend.terminate_job_flows = terminate_job_flows


def _reject_steps_on_terminated_clusters() -> None:
    plain_add = ElasticMapReduceBackend.add_job_flow_steps

    def add_job_flow_steps(backend: ElasticMapReduceBackend, job_flow_id: str,
                           steps: list[dict[str, Any]]) -> list[Step]:
        with STATE_LOCK:
            if is_terminated(backend.describe_cluster(job_flow_id)):
                raise ValidationException(
                    "A job flow that is shutting down, terminated, or finished may not be modified.")
            added = plain_add(backend, job_flow_id, steps)
        faults.raise_if_armed("AddJobFlowSteps")
        return added

    ElasticMapReduceBackend.add_job_flow_steps = add_job_flow_steps


def _keep_auto_termination_policy() -> None:
    plain_run_job_flow = ElasticMapReduceResponse.run_job_flow

    def run_job_flow(self: ElasticMapReduceResponse) -> ActionResult:
        result = plain_run_job_flow(self)
        cluster = self.backend.describe_cluster(result.result["JobFlowId"])
        cluster.auto_termination_policy = _policy(self._get_param("AutoTerminationPolicy"))
        return result

    def get_auto_termination_policy(self: ElasticMapReduceResponse) -> ActionResult:
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        policy = getattr(cluster, "auto_termination_policy", None)
        return ActionResult({"AutoTerminationPolicy": policy} if policy else {})

    def put_auto_termination_policy(self: ElasticMapReduceResponse) -> ActionResult:
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        cluster.auto_termination_policy = _policy(self._get_param("AutoTerminationPolicy"))
        return EmptyResult()

    ElasticMapReduceResponse.run_job_flow = run_job_flow
    ElasticMapReduceResponse.get_auto_termination_policy = get_auto_termination_policy
    ElasticMapReduceResponse.put_auto_termination_policy = put_auto_termination_policy


def _policy(raw: Any) -> dict[str, int] | None:
    """moto hands parameters over with snake_case or CamelCase keys depending on the call path."""
    if not raw:
        return None
    timeout = raw.get("IdleTimeout", raw.get("idle_timeout"))
    return {"IdleTimeout": int(timeout)} if timeout is not None else None


def _cancel_steps_action(self: ElasticMapReduceResponse) -> ActionResult:
    """CancelSteps: pending steps are cancelled at once, a running one is stopped by the step runner."""
    cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
    wanted = self._get_param("StepIds", [])
    by_id = {step.id: step for step in cluster.steps}
    infos = []
    with STATE_LOCK:
        for step_id in wanted:
            step = by_id.get(step_id)
            if step is None:
                infos.append({"StepId": step_id, "Status": "FAILED", "Reason": "Step not found."})
            elif step.state in FINISHED_STEP_STATES:
                infos.append({"StepId": step_id, "Status": "FAILED",
                              "Reason": f"Step is already {step.state}."})
            else:
                end_step(step, "CANCELLED", "Cancelled by CancelSteps.")
                infos.append({"StepId": step_id, "Status": "SUBMITTED"})
    return ActionResult({"CancelStepsInfoList": infos})
