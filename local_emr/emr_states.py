"""EMR step and cluster state transitions, applied to moto's in-memory models.

moto creates clusters and steps but never moves a step past RUNNING. These functions perform the
transitions real EMR performs (start, complete, fail, cancel, terminate) and record the reasons the
EMR API reports. The server thread (API calls) and the step runner thread both change states, so
every transition holds ``STATE_LOCK``.
"""
from __future__ import annotations

import threading
from typing import Any

from moto.core.utils import utcnow

STATE_LOCK = threading.RLock()

FINISHED_STEP_STATES = frozenset({"COMPLETED", "CANCELLED", "FAILED", "INTERRUPTED"})
TERMINATED_CLUSTER_STATES = frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"})


def is_terminated(cluster: Any) -> bool:
    return cluster.state in TERMINATED_CLUSTER_STATES


def next_step(cluster: Any) -> Any | None:
    """The first step of the cluster that has not finished, in submission order."""
    return next((s for s in cluster.steps if s.state not in FINISHED_STEP_STATES), None)


def start_step(cluster: Any, step: Any) -> None:
    with STATE_LOCK:
        step.state = "RUNNING"
        step.start()
        cluster.state = "RUNNING"
        cluster.last_state_change_reason = f"Running step {step.id}"


def end_step(step: Any, state: str, message: str | None = None,
             failure_details: dict[str, str] | None = None) -> None:
    """Finish a step as COMPLETED, FAILED or CANCELLED (with FailureDetails for FAILED)."""
    with STATE_LOCK:
        step.state = state
        step.end_date_time = utcnow()
        step.last_state_change_reason = message
        step.failure_details = failure_details


def cancel_unfinished_steps(cluster: Any, message: str) -> None:
    """Cancel every PENDING or RUNNING step of the cluster (a running one is stopped by the runner)."""
    with STATE_LOCK:
        for step in cluster.steps:
            if step.state not in FINISHED_STEP_STATES:
                end_step(step, "CANCELLED", message)


def set_cluster_reason(cluster: Any, code: str, message: str) -> None:
    cluster.state_change_code = code
    cluster.last_state_change_reason = message


def terminate_cluster(cluster: Any, code: str, message: str, with_errors: bool = False) -> None:
    """Terminate the cluster (its unfinished steps are cancelled) and record why."""
    with STATE_LOCK:
        if is_terminated(cluster):
            return
        cluster.terminate()
        if with_errors:
            cluster.state = "TERMINATED_WITH_ERRORS"
        set_cluster_reason(cluster, code, message)


def settle_after_steps(cluster: Any) -> None:
    """After the last step: wait for more steps, or shut down if the cluster is not kept alive."""
    with STATE_LOCK:
        if cluster.state != "RUNNING" or next_step(cluster) is not None:
            return
        if cluster.keep_job_flow_alive_when_no_steps:
            cluster.state = "WAITING"
            set_cluster_reason(cluster, "", "Cluster ready after last step completed.")
            cluster.idle_since = utcnow()
        else:
            terminate_cluster(cluster, "ALL_STEPS_COMPLETED", "Steps completed")
