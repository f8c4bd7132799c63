"""The retry-safe EMR operators and the diagnosing step sensor, against moto's EMR and S3."""
from __future__ import annotations

import gzip

import pytest
from airflow.sdk.exceptions import AirflowException
from botocore.stub import Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import Step, emr_backends

from fruits_emr.job_flow import run_tags
from fruits_emr.operators import (
    AdoptingEmrCreateJobFlowOperator,
    IdempotentEmrAddStepsOperator,
    RunClustersTerminateOperator,
    find_run_clusters,
    plan_step_reuse,
)
from fruits_emr.sensors import DiagnosingEmrStepSensor
from fruits_emr.step_logs import step_stderr_key
from tests.dag.dag_test_env import BUCKET, REGION

RUN_ID = "manual__2026-11-24T06:00:00+00:00"
JOB_FLOW = {
    "Name": "fruits-features-default-manual-2026-11-24T06-00-00-00-00",
    "ReleaseLabel": "emr-7.13.0",
    "LogUri": f"s3://{BUCKET}/out/emr-logs/",
    "Instances": {"KeepJobFlowAliveWhenNoSteps": True, "InstanceFleets": []},
    "Tags": run_tags("default", "fruits_features", RUN_ID),
}
STAGING_JOB_FLOW = {**JOB_FLOW, "Tags": run_tags("staging", "fruits_features", RUN_ID)}
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


def create(job_flow=JOB_FLOW):
    return AdoptingEmrCreateJobFlowOperator(
        task_id="create_cluster", job_flow_overrides=job_flow, aws_conn_id="aws_default", emr_conn_id=None
    )


def terminate(job_flow_id, job_flow=JOB_FLOW):
    return RunClustersTerminateOperator(
        task_id="terminate_cluster",
        job_flow_id=job_flow_id,
        job_flow_overrides=job_flow,
        aws_conn_id="aws_default",
    )


def states(emr_client):
    return {c["Id"]: c["Status"]["State"] for c in emr_client.list_clusters()["Clusters"]}


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


def test_a_run_that_started_two_clusters_keeps_the_oldest_and_ends_the_other(emr_client):
    # A timed-out RunJobFlow retried by botocore: two clusters carry the run's token.
    first = emr_client.run_job_flow(**JOB_FLOW)["JobFlowId"]
    second = emr_client.run_job_flow(**JOB_FLOW)["JobFlowId"]
    assert create().execute(context()) == first
    assert states(emr_client)[second] == "TERMINATED" and states(emr_client)[first] == "WAITING"


def test_adoption_and_teardown_never_cross_deployments(emr_client):
    staging = create(STAGING_JOB_FLOW).execute(context())  # same run id, other deployment
    production = create().execute(context())
    assert production != staging
    assert find_run_clusters(emr_client, JOB_FLOW["Tags"]) == [production]
    terminate(None).execute(context())
    assert states(emr_client) == {staging: "WAITING", production: "TERMINATED"}


def test_teardown_finds_the_runs_cluster_when_its_id_never_reached_xcom(emr_client):
    orphan = emr_client.run_job_flow(**JOB_FLOW)["JobFlowId"]  # create_cluster failed after RunJobFlow
    terminate(None).execute(context())
    assert states(emr_client)[orphan] == "TERMINATED"
    terminate(None).execute(context())  # nothing left: a no-op, not an error


def test_teardown_terminates_the_cluster_from_xcom_too(emr_client):
    untagged = emr_client.run_job_flow(**{**JOB_FLOW, "Tags": []})["JobFlowId"]
    terminate(untagged).execute(context())
    assert states(emr_client)[untagged] == "TERMINATED"


def test_tags_without_the_runs_identity_match_nothing_rather_than_everything(emr_client):
    emr_client.run_job_flow(**JOB_FLOW)
    with pytest.raises(ValueError, match="cannot identify the run's clusters"):
        find_run_clusters(emr_client, [{"Key": "project", "Value": "fruits-emr"}])


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


def test_sensor_completes_and_takes_its_timeout_from_upstream(emr_client):
    cluster_id = create().execute(context())
    step_id, _ = add_steps(cluster_id).execute(context())
    watcher = sensor(cluster_id, step_id, timeout_s="5400")
    assert watcher.poke(context()) is False  # moto: the first step is RUNNING
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
        property(lambda s: {**moto_status.fget(s),
                            **({"FailureDetails": details} if s.state == "FAILED" else {})}),
    )
    next(s for s in moto_cluster(cluster_id).steps if s.id == step_id).state = "FAILED"
    with pytest.raises(AirflowException, match="spark-submit exited with 1"):
        sensor(cluster_id, step_id).poke(context())
    logged = capsys.readouterr().out  # the task logger writes to stdout outside a task runner
    assert logged.index("FAILED: Unknown error") < logged.index("End of the step's stderr")  # reason first
    assert "ValueError: no images under the input prefix" in logged
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


def test_a_cluster_that_ended_before_the_step_fails_the_sensor_at_once(emr_client, s3_hook, capsys):
    from fruits_emr.sensors import ClusterEnded

    cluster_id = create().execute(context())
    step_id, _ = add_steps(cluster_id).execute(context())
    cluster = moto_cluster(cluster_id)
    for step in cluster.steps:
        step.state = "PENDING"  # EMR may cancel the steps only after the cluster is gone
    cluster.state = "TERMINATED_WITH_ERRORS"
    cluster.last_state_change_reason = "The requested number of spot instances exceeds your limit."
    key = f"out/emr-logs/{cluster_id}/node/i-0abc/bootstrap-actions/1/stderr.gz"
    s3_hook.load_bytes(gzip.compress(b"curl: (22) 403 Forbidden\n"), key, bucket_name=BUCKET)
    with pytest.raises(ClusterEnded, match=f"cluster {cluster_id} is TERMINATED_WITH_ERRORS"):
        sensor(cluster_id, step_id).poke(context())
    logged = capsys.readouterr().out
    assert "The requested number of spot instances exceeds your limit." in logged
    assert f"End of s3://{BUCKET}/{key}" in logged and "403 Forbidden" in logged
