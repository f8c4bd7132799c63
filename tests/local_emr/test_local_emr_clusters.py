"""Cluster life cycle in the emulator: region, termination, cancellation and idle auto-termination."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from emr_test_helpers import cluster_status, spark_step, step_state, wait_for_step, wait_until

from local_emr import faults
from local_emr.server import FAKE_CREDENTIALS, running_emulator

SLEEPING_JOB = "import time\ntime.sleep(300)\n"


def test_clusters_live_in_the_region_the_client_signs_for(emulator, emr, start_cluster):
    cluster_id = start_cluster()

    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert ":eu-west-3:" in cluster["ClusterArn"]
    us_east = boto3.client("emr", endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                           **FAKE_CREDENTIALS)
    assert cluster_id not in [c["Id"] for c in us_east.list_clusters()["Clusters"]]


def test_terminating_a_cluster_stops_its_running_step_and_cancels_pending_ones(
        emulator, emr, put_script, start_cluster):
    script = put_script("sleeps.py", SLEEPING_JOB)
    cluster_id = start_cluster()
    running, pending, cancelled = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[
        spark_step("sleeps", script), spark_step("pending", script), spark_step("cancelled", script),
    ])["StepIds"]
    controller_log = emulator.workdir / "steps" / running / "logs" / "controller"
    wait_until(lambda: controller_log.is_file() and "running:" in controller_log.read_text(),
               what="the first step's spark-submit to start")

    answer = emr.cancel_steps(ClusterId=cluster_id, StepIds=[cancelled, "s-NOSUCHSTEP"])
    assert [(i["StepId"], i["Status"]) for i in answer["CancelStepsInfoList"]] == [
        (cancelled, "SUBMITTED"), ("s-NOSUCHSTEP", "FAILED")]
    assert step_state(emr, cluster_id, cancelled) == "CANCELLED"
    emr.terminate_job_flows(JobFlowIds=[cluster_id])

    status = cluster_status(emr, cluster_id)
    assert (status["State"], status["StateChangeReason"]["Code"]) == ("TERMINATED", "USER_REQUEST")
    assert step_state(emr, cluster_id, pending) == "CANCELLED"
    assert wait_for_step(emr, cluster_id, running, ("CANCELLED",))
    wait_until(lambda: emulator.workdir.joinpath("steps", running, "logs", "stdout").exists()
               and "uploaded" in controller_log.read_text(), timeout=30,
               what="the killed step to be cleaned up")
    with pytest.raises(ClientError, match="may not be modified"):
        emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[spark_step("late", script)])


def test_idle_cluster_terminates_after_its_auto_termination_timeout(emr, start_cluster):
    idle = start_cluster(AutoTerminationPolicy={"IdleTimeout": 1})
    kept = start_cluster()

    assert emr.get_auto_termination_policy(ClusterId=idle)["AutoTerminationPolicy"] == {
        "IdleTimeout": 1}
    wait_until(lambda: cluster_status(emr, idle)["State"] == "TERMINATED", timeout=20,
               what="the idle cluster to terminate")
    assert "AutoTerminationPolicy" in cluster_status(emr, idle)["StateChangeReason"]["Message"]
    assert cluster_status(emr, kept)["State"] == "WAITING"


def test_step_the_emulator_cannot_run_fails_and_a_transient_cluster_then_ends(
        emr, bucket, start_cluster):
    cluster_id = start_cluster(
        Instances={"KeepJobFlowAliveWhenNoSteps": False, "InstanceCount": 1,
                   "MasterInstanceType": "m5.xlarge"},
        Steps=[spark_step("custom jar", "job.py", jar=f"s3://{bucket}/custom.jar")])

    step_id = emr.list_steps(ClusterId=cluster_id)["Steps"][0]["Id"]
    step = wait_for_step(emr, cluster_id, step_id)

    assert step["Status"]["State"] == "FAILED"
    assert step["Status"]["FailureDetails"]["Reason"].startswith("Unsupported step: only command-runner.jar")
    wait_until(lambda: cluster_status(emr, cluster_id)["State"] == "TERMINATED", timeout=20,
               what="the cluster to end after its last step")
    assert cluster_status(emr, cluster_id)["StateChangeReason"]["Code"] == "ALL_STEPS_COMPLETED"


def test_injected_fault_fails_add_steps_after_the_steps_were_added(emr, bucket, start_cluster):
    cluster_id = start_cluster()
    step = spark_step("custom jar", "job.py", jar=f"s3://{bucket}/custom.jar")
    faults.fail_after("AddJobFlowSteps")

    with pytest.raises(ClientError, match="InternalServerError"):
        emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])
    emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])

    assert len(emr.list_steps(ClusterId=cluster_id)["Steps"]) == 2


def test_a_second_emulator_in_the_same_process_is_refused(emulator, tmp_path):
    with pytest.raises(RuntimeError, match="already running in this process"):
        with running_emulator(tmp_path):
            pass
    # The refused start did not disturb the running one.
    assert emulator.client("s3").list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_cluster_that_fails_to_start_ends_with_errors_and_the_step_sensor_says_why(
        emulator, emr, bucket, put_script, start_cluster, monkeypatch, capsys):
    from fruits_emr.sensors import DiagnosingEmrStepSensor, StepFailed

    script = put_script("never.py", "print('never runs')\n")
    cluster_id = start_cluster()
    faults.fail_cluster_start("BOOTSTRAP_FAILURE", "On the master instance (i-local), bootstrap action 1 "
                                                   "returned a non-zero return code")
    (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[spark_step("featurize", script)])[
        "StepIds"
    ]

    assert wait_for_step(emr, cluster_id, step_id)["Status"]["State"] == "CANCELLED"
    status = cluster_status(emr, cluster_id)
    assert status["State"] == "TERMINATED_WITH_ERRORS"
    assert status["StateChangeReason"]["Code"] == "BOOTSTRAP_FAILURE"

    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", emulator.airflow_connection())
    sensor = DiagnosingEmrStepSensor(task_id="wait_featurize", job_flow_id=cluster_id, step_id=step_id,
                                     aws_conn_id="aws_default")
    with pytest.raises(StepFailed):
        sensor.poke({})
    logged = capsys.readouterr().out
    assert f"Cluster {cluster_id} is TERMINATED_WITH_ERRORS" in logged
    assert "BOOTSTRAP_FAILURE: On the master instance (i-local), bootstrap action 1" in logged
    assert f"s3://{bucket}/logs/{cluster_id}/node/<instance-id>/bootstrap-actions/" in logged
    assert "No matching distribution found" in logged  # the bootstrap action's stderr tail
