"""The thread that drives moto's EMR clusters: runs their steps in order and ends idle clusters.

Every ``POLL_SECONDS`` it visits each live cluster of every account and region moto holds:
- the first unfinished step is run (``StepExecution``), then marked COMPLETED or FAILED; a failure
  applies the step's ActionOnFailure (CONTINUE, CANCEL_AND_WAIT, TERMINATE_CLUSTER);
- a cluster with no steps left waits (KeepJobFlowAliveWhenNoSteps) or terminates;
- a WAITING cluster idle for longer than its AutoTerminationPolicy IdleTimeout terminates;
- a cluster start failure armed with ``local_emr.faults.fail_cluster_start`` ends the next cluster
  that has a step to run with errors instead.
Steps run one at a time across all clusters (a laptop has few cores). Bootstrap actions and
Configurations are recorded by moto but neither executed nor applied locally.
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from moto.core.utils import utcnow
from moto.emr.models import emr_backends

from local_emr import faults
from local_emr.emr_states import (
    STATE_LOCK,
    cancel_unfinished_steps,
    end_step,
    is_terminated,
    next_step,
    settle_after_steps,
    start_step,
    terminate_cluster,
)
from local_emr.step_execution import StepExecution
from local_emr.step_logs import upload_bootstrap_stderr

POLL_SECONDS = 0.5


def live_clusters() -> Iterator[Any]:
    """Clusters not yet terminated, across the accounts and regions moto has backends for."""
    for regions in list(dict.values(emr_backends)):
        for backend in list(dict.values(regions)):
            for cluster in list(backend.clusters.values()):
                if not is_terminated(cluster):
                    yield cluster


class StepRunner(threading.Thread):
    """Background thread running EMR steps with the local spark-submit."""

    def __init__(self, s3_client: Any, workdir: Path, log: Callable[[str], None] = print,
                 keep_step_dirs: bool = False):
        super().__init__(name="local-emr-step-runner", daemon=True)
        self._s3 = s3_client
        self._workdir = workdir
        self._log = log
        self._keep_step_dirs = keep_step_dirs
        self._stopping = threading.Event()
        self._announced: set[str] = set()

    def stop(self) -> None:
        """Stop polling; a running step is stopped too."""
        self._stopping.set()
        self.join()

    def run(self) -> None:
        while not self._stopping.is_set():
            for cluster in live_clusters():
                if self._stopping.is_set():
                    break
                self._visit(cluster)
            self._stopping.wait(POLL_SECONDS)

    def _visit(self, cluster: Any) -> None:
        self._announce(cluster)
        with STATE_LOCK:
            step = next_step(cluster)
            if step is None:
                settle_after_steps(cluster)
                self._end_if_idle(cluster)
                return
            start_failure = faults.take_cluster_start_failure()
            if start_failure:
                self._fail_start(cluster, *start_failure)
                return
            start_step(cluster, step)
        self._run_step(cluster, step)

    def _announce(self, cluster: Any) -> None:
        if cluster.id in self._announced:
            return
        self._announced.add(cluster.id)
        self._log(f"cluster {cluster.id} ({cluster.name!r}) in {cluster.emr_backend.region_name}")
        for action in cluster.bootstrap_actions:
            self._log(f"  bootstrap action {action.name!r} ({action.script_path}) recorded, "
                      "not executed locally: the local environment already has the packages")
        if cluster.configurations:
            self._log(f"  {len(cluster.configurations)} Configurations recorded, not applied: "
                      "steps run with local Spark defaults")

    def _fail_start(self, cluster: Any, code: str, message: str) -> None:
        if code == "BOOTSTRAP_FAILURE":
            upload_bootstrap_stderr(self._s3, cluster.log_uri, cluster.id,
                                    "pip: ERROR: No matching distribution found (injected fault)\n")
        terminate_cluster(cluster, code, message, with_errors=True)
        self._log(f"cluster {cluster.id}: failed to start ({code}: {message}), injected fault")

    def _run_step(self, cluster: Any, step: Any) -> None:
        self._log(f"step {step.id} ({step.name!r}) of {cluster.id}: running")
        step_dir = self._workdir / "steps" / step.id
        execution = StepExecution(self._s3, step_dir, cluster, step, self._log)
        outcome = execution.run(lambda: self._stopping.is_set() or step.state == "CANCELLED"
                                or is_terminated(cluster))
        if not self._keep_step_dirs:
            shutil.rmtree(step_dir / "s3", ignore_errors=True)
        with STATE_LOCK:
            if step.state == "CANCELLED" or outcome.stopped:
                if step.state != "CANCELLED":
                    end_step(step, "CANCELLED", "Cancelled because the local emulator stopped.")
                self._log(f"step {step.id}: CANCELLED")
            elif outcome.succeeded:
                end_step(step, "COMPLETED")
                self._log(f"step {step.id}: COMPLETED")
            else:
                end_step(step, "FAILED", outcome.failure["Message"], outcome.failure)
                self._log(f"step {step.id}: FAILED ({outcome.failure['Reason']})")
                self._apply_action_on_failure(cluster, step)
            settle_after_steps(cluster)

    def _apply_action_on_failure(self, cluster: Any, step: Any) -> None:
        action = step.action_on_failure
        if action in ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"):
            terminate_cluster(cluster, "STEP_FAILURE", "Shut down as step failed",
                              with_errors=True)
        elif action == "CANCEL_AND_WAIT":
            cancel_unfinished_steps(
                cluster, f"Cancelled because step {step.id} failed (ActionOnFailure CANCEL_AND_WAIT).")
        self._log(f"  ActionOnFailure {action}: cluster {cluster.id} is {cluster.state}")

    def _end_if_idle(self, cluster: Any) -> None:
        policy = getattr(cluster, "auto_termination_policy", None)
        if cluster.state != "WAITING" or not policy:
            return
        idle_since = getattr(cluster, "idle_since", None) or cluster.ready_datetime
        timeout = policy["IdleTimeout"]
        if (utcnow() - idle_since).total_seconds() > timeout:
            terminate_cluster(cluster, "ALL_STEPS_COMPLETED",
                              f"Cluster was idle for more than {timeout} s (AutoTerminationPolicy).")
            self._log(f"cluster {cluster.id}: TERMINATED after {timeout} s idle")
