"""The retry-safe EMR operators and the diagnosing step sensor, against moto's EMR and S3."""
from __future__ import annotations

import gzip
import re

import pytest
from airflow.sdk.exceptions import AirflowException
from botocore.stub import Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import Step, emr_backends

from fruits_emr.operators import (
    AdoptingEmrCreateJobFlowOperator,
    IdempotentEmrAddStepsOperator,
    plan_step_reuse,
)
from fruits_emr.sensors import DiagnosingEmrStepSensor
from fruits_emr.step_logs import step_stderr_key

from tests.dag.conftest import BUCKET, REGION

JOB_FLOW = {
    "Name": "fruits-features-manual-2026-11-24T06-00-00-00-00",
    "ReleaseLabel": "emr-7.13.0",
    "LogUri": f"s3://{BUCKET}/out/emr-logs/",
    "Instances": {"KeepJobFlowAliveWhenNoSteps": True, "InstanceFleets": []},
}
STEPS = [
    {"Name": name, "ActionOnFailure": "CANCEL_AND_WAIT",
     "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", f"s3://{BUCKET}/{name}.py"]}}
    for name in ("featurize", "pca")
]


class RecordingTaskInstance:
    """Just enough of a task instance for ``execute``: records what the operator pushes to XCom."""

    def __init__(self):
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key, value):
        self.xcom[key] = value


def context():
    return {"ti": RecordingTaskInstance()}


def moto_cluster(cluster_id):
    return emr_backends[DEFAULT_ACCOUNT_ID][REGION].clusters[cluster_id]


def create(task_id="create_cluster"):
    return AdoptingEmrCreateJobFlowOperator(
        task_id=task_id, job_flow_overrides=JOB_FLOW, aws_conn_id="aws_default", emr_conn_id=None
    )


def add_steps(cluster_id):
    return IdempotentEmrAddStepsOperator(
        task_id="add_steps", job_flow_id=cluster_id, steps=STEPS, aws_conn_id="aws_default"
    )


def sensor(cluster_id, step_id, **kwargs):
    return DiagnosingEmrStepSensor(
        task_id="wait_featurize", job_flow_id=cluster_id, step_id=step_id, aws_conn_id="aws_default",
        poke_interval=1, **kwargs,
    )


def test_retried_create_adopts_the_runs_cluster(emr_client):
    first = create().execute(context())
    second = create().execute(context())
    assert second == first
    assert [c["Id"] for c in emr_client.list_clusters()["Clusters"]] == [first]


def test_create_starts_a_new_cluster_when_the_old_one_is_gone(emr_client):
    first = create().execute(context())
    emr_client.terminate_job_flows(JobFlowIds=[first])
    second = create().execute(context())
    assert second != first
    assert emr_client.describe_cluster(ClusterId=second)["Cluster"]["Status"]["State"] == "WAITING"


def test_retried_add_steps_adds_no_duplicates(emr_client):
    cluster_id = create().execute(context())
    ctx = context()
    first = add_steps(cluster_id).execute(ctx)
    assert ctx["ti"].xcom["featurize"] == first[0] and ctx["ti"].xcom["pca"] == first[1]
    second = add_steps(cluster_id).execute(context())
    assert second == first
    names = [s["Name"] for s in emr_client.list_steps(ClusterId=cluster_id)["Steps"]]
    assert sorted(names) == ["featurize", "pca"]


def test_failed_steps_are_added_again_in_order(emr_client):
    cluster_id = create().execute(context())
    featurize_id, pca_id = add_steps(cluster_id).execute(context())
    steps = {s.id: s for s in moto_cluster(cluster_id).steps}
    steps[featurize_id].state, steps[pca_id].state = "COMPLETED", "FAILED"
    kept, new_pca = add_steps(cluster_id).execute(context())
    assert kept == featurize_id and new_pca != pca_id
    assert len(emr_client.list_steps(ClusterId=cluster_id)["Steps"]) == 3


def test_plan_step_reuse_keeps_the_order():
    existing = {"featurize": ("s-1", "FAILED"), "pca": ("s-2", "PENDING")}
    reused, to_add = plan_step_reuse(STEPS, existing)
    assert reused == [None, None] and to_add == STEPS  # pca must run after the new featurize
    reused, to_add = plan_step_reuse(STEPS, {"featurize": ("s-1", "RUNNING")})
    assert reused == ["s-1", None] and to_add == STEPS[1:]
    assert plan_step_reuse(STEPS, {}) == ([None, None], STEPS)


def test_sensor_completes_and_takes_its_timeout_from_upstream(emr_client, capsys):
    cluster_id = create().execute(context())
    step_id, _ = add_steps(cluster_id).execute(context())
    watcher = sensor(cluster_id, step_id, timeout_s="5400", expected_s="30")
    assert watcher.poke(context()) is False  # moto: the first step is RUNNING
    # the running time shows once EMR reports the step's start (moto's steps have none)
    assert re.search(r"step RUNNING( for \S+ \S+)? \(estimate: 30 s of compute", capsys.readouterr().out)
    next(s for s in moto_cluster(cluster_id).steps if s.id == step_id).state = "COMPLETED"
    assert watcher.poke(context()) is True
    watcher.mode = "poke"
    watcher.execute(context())
    assert watcher.timeout == 5400.0


def test_failed_step_logs_failure_details_and_stderr_tail(emr_client, s3_hook, monkeypatch, capsys):
    cluster_id = create().execute(context())
    step_id, _ = add_steps(cluster_id).execute(context())
    stderr = "\n".join(f"line {i}" for i in range(100)) + "\nValueError: no images under the input prefix"
    key = step_stderr_key("out/emr-logs/", cluster_id, step_id)
    s3_hook.load_bytes(gzip.compress(stderr.encode()), key, bucket_name=BUCKET)
    moto_status = Step.status
    details = {"Reason": "Unknown error", "Message": "spark-submit exited with 1", "LogFile": key}
    monkeypatch.setattr(  # moto keeps no FailureDetails; add them to its answer for failed steps
        Step, "status",
        property(lambda s: {**moto_status.fget(s), **({"FailureDetails": details} if s.state == "FAILED" else {})}),
    )
    next(s for s in moto_cluster(cluster_id).steps if s.id == step_id).state = "FAILED"
    with pytest.raises(AirflowException, match="spark-submit exited with 1"):
        sensor(cluster_id, step_id).poke(context())
    logged = capsys.readouterr().out  # the task logger writes to stdout outside a task runner
    reason = logged.index("FAILED: Unknown error")
    assert reason < logged.index("ValueError: no images under the input prefix")  # reason first
    assert "spark-submit exited with 1" in logged[reason:logged.index("End of the step's stderr")]
    assert "line 99" in logged and "line 10\n" not in logged  # only the tail


def test_failed_step_without_copied_logs_says_so(emr_client, capsys):
    cluster_id = create().execute(context())
    step_id, _ = add_steps(cluster_id).execute(context())
    next(s for s in moto_cluster(cluster_id).steps if s.id == step_id).state = "FAILED"
    with pytest.raises(AirflowException):
        sensor(cluster_id, step_id).poke(context())
    assert "stderr is not in" in capsys.readouterr().out


def test_killing_the_sensor_cancels_its_step(emr_client):
    # moto has no CancelSteps: check the request the sensor sends with botocore's Stubber instead.
    watcher = sensor("j-CLUSTER", "s-STEP")
    with Stubber(watcher.hook.conn) as stub:
        stub.add_response(
            "cancel_steps",
            {"CancelStepsInfoList": [{"StepId": "s-STEP", "Status": "SUBMITTED"}]},
            {"ClusterId": "j-CLUSTER", "StepIds": ["s-STEP"], "StepCancellationOption": "SEND_INTERRUPT"},
        )
        watcher.on_kill()
        stub.assert_no_pending_responses()


def test_on_kill_never_raises(aws):
    watcher = sensor("j-CLUSTER", "s-GONE")
    with Stubber(watcher.hook.conn) as stub:
        stub.add_client_error("cancel_steps", "InvalidRequestException", "Step s-GONE does not exist")
        watcher.on_kill()  # logged, not raised: the kill goes ahead
        stub.assert_no_pending_responses()
