"""The provider's EMR step sensor, made to explain failures and to cancel its step when killed.

Each poke logs how long the step has run (EMR's ``Timeline.StartDateTime``) against the compute time
the cost estimate expected (``expected_s``, templated). On a failed step it logs EMR's
``FailureDetails`` first, then the tail of the step's stderr from the cluster's ``LogUri``, so the
reason is at the top of what the Airflow task log shows. Killing the task cancels the step
(apache/airflow#27979). Its timeout can come from upstream (``timeout_s`` is templated), so it is
sized to the run's estimate.

A failed step fails with ``StepFailed`` (never retried: the step stays failed). The sensor also
watches the cluster: one that ends before the step is done (a bootstrap action failed, no Spot or
On-Demand capacity, a bad role: EMR then cancels the steps, sometimes only later) fails it at once
with ``ClusterEnded``, after logging the cluster's StateChangeReason (code and message) and its
bootstrap actions' logs. It never defers: the provider would otherwise follow ``[operators]
default_deferrable`` and wait in the triggerer, which skips this diagnosis.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor
from airflow.sdk.exceptions import AirflowException

from fruits_emr.failures import PermanentFailure
from fruits_emr.log_tables import step_progress, table
from fruits_emr.step_logs import bootstrap_logs_location, bootstrap_stderr_tails, step_stderr_tail

ENDED_CLUSTER_STATES = frozenset({"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"})


class StepFailed(PermanentFailure):
    """The step ended FAILED, CANCELLED or INTERRUPTED; waiting again cannot change that."""


class ClusterEnded(PermanentFailure):
    """The cluster is terminating or terminated while the step has not finished."""


class DiagnosingEmrStepSensor(EmrStepSensor):
    """Wait for one EMR step; on failure, log why; on kill, cancel the step."""

    template_fields = (*EmrStepSensor.template_fields, "timeout_s", "expected_s")

    def __init__(self, *, timeout_s: int | str | None = None, expected_s: int | str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(deferrable=False, **kwargs)
        self.timeout_s = timeout_s
        self.expected_s = expected_s

    def execute(self, context: Any) -> None:
        if self.timeout_s is not None:
            self.timeout = float(self.timeout_s)
        return super().execute(context)

    def get_emr_response(self, context: Any) -> dict[str, Any]:
        response = super().get_emr_response(context)
        status = response.get("Step", {}).get("Status", {})
        started = status.get("Timeline", {}).get("StartDateTime")
        elapsed_s = (datetime.now(timezone.utc) - started).total_seconds() if started else None
        expected_s = float(self.expected_s) if self.expected_s is not None else None
        self.log.info("%s", step_progress(response["Step"].get("Name", self.step_id), status.get("State"),
                                          elapsed_s, expected_s))
        return response

    def poke(self, context: Any) -> bool:
        try:
            done = super().poke(context)
        except AirflowException as failed:
            self._log_failure()
            raise StepFailed(str(failed)) from failed
        if not done:
            self._fail_if_cluster_ended()
        return done

    def _s3_hook(self) -> S3Hook:
        return S3Hook(aws_conn_id=self.aws_conn_id, region_name=self.region_name, verify=self.verify)

    def _fail_if_cluster_ended(self) -> None:
        cluster = self.hook.conn.describe_cluster(ClusterId=self.job_flow_id)["Cluster"]
        if cluster["Status"]["State"] in ENDED_CLUSTER_STATES:
            reason = self._log_cluster_end(cluster)
            raise ClusterEnded(
                f"cluster {self.job_flow_id} is {cluster['Status']['State']} ({reason}) "
                f"before step {self.step_id} finished"
            )

    def _log_cluster_end(self, cluster: dict) -> str:
        """Log why the cluster ended and its bootstrap logs; returns "CODE: message"."""
        change = cluster["Status"].get("StateChangeReason") or {}
        reason = f"{change.get('Code', 'no code')}: {change.get('Message', 'no message')}"
        log_uri = cluster.get("LogUri")
        self.log.error(
            "Cluster %s is %s. StateChangeReason %s. Bootstrap action logs: %s",
            self.job_flow_id,
            cluster["Status"]["State"],
            reason,
            bootstrap_logs_location(log_uri, self.job_flow_id) if log_uri else "none (no LogUri)",
        )
        if log_uri:
            for uri, tail in bootstrap_stderr_tails(self._s3_hook(), log_uri, self.job_flow_id).items():
                self.log.error("End of %s:\n%s", uri, tail)
        return reason

    def _log_failure(self) -> None:
        step = self.hook.conn.describe_step(ClusterId=self.job_flow_id, StepId=self.step_id)["Step"]
        details = step["Status"].get("FailureDetails") or {}
        self.log.error("%s", table(
            f"Step {step.get('Name')} {step['Status']['State']}: {details.get('Reason', 'no reason given')}",
            [("message", details.get("Message", "not given")),
             ("log file", details.get("LogFile", "not given")),
             ("step", f"{self.step_id} on cluster {self.job_flow_id}")],
        ))
        cluster = self.hook.conn.describe_cluster(ClusterId=self.job_flow_id)["Cluster"]
        if cluster["Status"]["State"] in ENDED_CLUSTER_STATES:
            self._log_cluster_end(cluster)
        log_uri = cluster.get("LogUri")
        if not log_uri:
            self.log.error("The cluster has no LogUri, so the step's stderr cannot be shown")
            return
        tail = step_stderr_tail(self._s3_hook(), log_uri, self.job_flow_id, self.step_id)
        if tail is None:
            self.log.error("The step's stderr is not in %s yet (EMR copies logs every few minutes)", log_uri)
        else:
            self.log.error("End of the step's stderr:\n%s", tail)

    def on_kill(self) -> None:
        self.log.warning("Task killed: cancelling step %s on cluster %s", self.step_id, self.job_flow_id)
        try:
            response = self.hook.conn.cancel_steps(
                ClusterId=self.job_flow_id,
                StepIds=[self.step_id],
                StepCancellationOption="SEND_INTERRUPT",
            )
            self.log.warning("Cancel request answered: %s", response.get("CancelStepsInfoList"))
        except Exception:  # on_kill must not raise: the kill goes ahead whatever the answer
            self.log.exception("Could not cancel step %s", self.step_id)
