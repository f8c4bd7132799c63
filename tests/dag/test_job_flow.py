"""The RunJobFlow request and the steps: contents checked as data, then accepted by moto's EMR API."""
from __future__ import annotations

import pytest

from fruits_emr.artifacts import Artifacts
from fruits_emr.config import EnvDefaults, load_config
from fruits_emr.instance_types import INSTANCE_TYPES
from fruits_emr.job_flow import (
    DEPLOYMENT_TAG,
    EMR_RELEASE_LABEL,
    TOKEN_TAG,
    build_job_flow,
    cluster_name,
    idempotency_token,
    interchangeable_types,
)
from fruits_emr.params import dag_params
from fruits_emr.spark_sizing import size_executors
from fruits_emr.steps import build_steps

RUN_ID = "manual__2026-11-24T06:00:00+00:00"
SECURITY_CONFIGURATION = "fruits-emr-default-0123456789ab"
ARTIFACTS = Artifacts(
    bootstrap="s3://b-1/out/artifacts/aa/install-deps.sh",
    requirements="s3://b-1/out/artifacts/bb/requirements-emr.txt",
    featurize="s3://b-1/out/artifacts/cc/featurize.py",
    pca="s3://b-1/out/artifacts/dd/pca.py",
    spark_lib="s3://b-1/out/artifacts/ee/fruits_spark.zip",
    weights="s3://b-1/models/w.weights.h5",
    uploaded=(),
)


def config(deployment_id="default", **overrides):
    params = {**{n: p.value for n, p in dag_params().items()}, "output_prefix": "out", **overrides}
    env = EnvDefaults.from_env({"FRUITS_EMR_BUCKET": "b-1", "FRUITS_EMR_DEPLOYMENT_ID": deployment_id})
    return load_config(params, "eu-west-3", env)


def job_flow(**overrides):
    cfg = config(**overrides)
    sizing = size_executors(cfg.core_instance_type, cfg.core_instance_count)
    return build_job_flow(cfg, cfg.layout(RUN_ID), ARTIFACTS, sizing, "fruits_features", RUN_ID,
                          SECURITY_CONFIGURATION)


def fleet(flow, role):
    return next(f for f in flow["Instances"]["InstanceFleets"] if f["InstanceFleetType"] == role)


def test_cluster_identity_logs_and_safety_nets():
    flow = job_flow()
    layout = config().layout(RUN_ID)
    assert flow["Name"] == cluster_name("default", layout) and layout.run_key in flow["Name"]
    assert flow["ReleaseLabel"] == EMR_RELEASE_LABEL and EMR_RELEASE_LABEL.startswith("emr-7.")
    assert flow["Applications"] == [{"Name": "Spark"}]
    assert flow["LogUri"] == layout.logs_uri == "s3://b-1/out/emr-logs/"
    assert flow["Instances"]["KeepJobFlowAliveWhenNoSteps"] is True
    assert 60 <= flow["AutoTerminationPolicy"]["IdleTimeout"] <= 3600
    tags = {t["Key"]: t["Value"] for t in flow["Tags"]}
    assert tags == {
        "project": "fruits-emr", "dag_id": "fruits_features", "run_id": RUN_ID,
        DEPLOYMENT_TAG: "default", TOKEN_TAG: idempotency_token("default", RUN_ID),
    }
    (action,) = flow["BootstrapActions"]
    assert action["ScriptBootstrapAction"] == {"Path": ARTIFACTS.bootstrap, "Args": [ARTIFACTS.requirements]}


def test_deployments_never_share_a_cluster_name_or_token():
    prod, staging = job_flow(), job_flow(deployment_id="staging")
    assert prod["Name"] != staging["Name"] and "-staging-" in staging["Name"]
    tags = [{t["Key"]: t["Value"] for t in flow["Tags"]} for flow in (prod, staging)]
    assert tags[0][TOKEN_TAG] != tags[1][TOKEN_TAG] and tags[1][DEPLOYMENT_TAG] == "staging"
    assert idempotency_token("default", RUN_ID) != idempotency_token("default", RUN_ID + "x")


def test_spot_core_fleet_falls_back_to_on_demand():
    core = fleet(job_flow(use_spot=True, core_instance_count=3), "CORE")
    assert core["TargetSpotCapacity"] == 3 and "TargetOnDemandCapacity" not in core
    spot = core["LaunchSpecifications"]["SpotSpecification"]
    assert spot["TimeoutAction"] == "SWITCH_TO_ON_DEMAND"
    assert [c["InstanceType"] for c in core["InstanceTypeConfigs"]] == interchangeable_types("m5.xlarge")
    primary = fleet(job_flow(), "MASTER")
    assert primary["TargetOnDemandCapacity"] == 1 and "TargetSpotCapacity" not in primary


def test_spot_off_means_on_demand_only():
    core = fleet(job_flow(use_spot=False, core_instance_count=4), "CORE")
    assert core["TargetOnDemandCapacity"] == 4
    assert "TargetSpotCapacity" not in core and "LaunchSpecifications" not in core


def test_interchangeable_types_share_vcpus_and_memory():
    assert interchangeable_types("m5.xlarge") == ["m5.xlarge", "m6i.xlarge"]
    assert interchangeable_types("c5.xlarge") == ["c5.xlarge"]


@pytest.mark.parametrize("itype", sorted(INSTANCE_TYPES))
def test_spark_sizing_fits_in_the_node(itype):
    sizing = size_executors(itype, 3)
    assert sizing.executor_container_mb <= INSTANCE_TYPES[itype].yarn_memory_mb
    assert sizing.executor_cores % sizing.task_cpus == 0 and sizing.tf_threads == sizing.task_cpus
    defaults = sizing.spark_defaults()
    assert defaults["spark.executor.instances"] == "3"
    assert defaults["spark.pyspark.python"] == "/usr/bin/python3.11"


def test_job_flow_carries_the_spark_sizing():
    flow = job_flow(core_instance_count=2)
    (defaults,) = [c for c in flow["Configurations"] if c["Classification"] == "spark-defaults"]
    assert defaults["Properties"] == size_executors("m5.xlarge", 2).spark_defaults()


def test_steps_follow_the_job_command_lines():
    cfg = config(k=32)
    layout = cfg.layout(RUN_ID)
    featurize, pca = build_steps(cfg, layout, ARTIFACTS, size_executors("m5.xlarge", 2))
    for step in (featurize, pca):
        assert step["ActionOnFailure"] == "CANCEL_AND_WAIT"
        assert step["HadoopJarStep"]["Jar"] == "command-runner.jar"
        assert step["HadoopJarStep"]["Args"][:3] == ["spark-submit", "--py-files", ARTIFACTS.spark_lib]
    f_args, p_args = featurize["HadoopJarStep"]["Args"][3:], pca["HadoopJarStep"]["Args"][3:]
    assert f_args[0] == ARTIFACTS.featurize and p_args[0] == ARTIFACTS.pca
    f_opts, p_opts = dict(zip(f_args[1::2], f_args[2::2])), dict(zip(p_args[1::2], p_args[2::2]))
    assert f_opts == {
        "--input": "s3://b-1/fruits/images/", "--input-list": layout.input_list_uri,
        "--output": layout.features_uri, "--quarantine": layout.quarantine_uri,
        "--weights": ARTIFACTS.weights, "--report": layout.featurize_report_uri,
        "--batch-size": "64", "--tf-threads": "2", "--backend": "tflite",
    }
    assert p_opts == {"--snapshot-plan": layout.snapshot_plan_uri, "--output": layout.pca_uri, "--k": "32",
                      "--model-output": layout.pca_model_uri, "--report": layout.pca_report_uri}


def test_featurize_step_runs_the_chosen_backend():
    cfg = config(backend="keras")
    featurize, _ = build_steps(cfg, cfg.layout(RUN_ID), ARTIFACTS, size_executors("m5.xlarge", 2))
    args = featurize["HadoopJarStep"]["Args"]
    assert args[args.index("--backend") + 1] == "keras"


def test_moto_emr_accepts_the_request(emr_client):
    flow = job_flow()
    cluster_id = emr_client.run_job_flow(**flow)["JobFlowId"]
    cluster = emr_client.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["Name"] == flow["Name"] and cluster["ReleaseLabel"] == EMR_RELEASE_LABEL
    assert cluster["LogUri"] == flow["LogUri"]
    assert cluster["Status"]["State"] == "WAITING"  # kept alive with no steps
    assert {t["Key"]: t["Value"] for t in cluster["Tags"]}["run_id"] == RUN_ID
    actions = emr_client.list_bootstrap_actions(ClusterId=cluster_id)["BootstrapActions"]
    assert actions[0]["ScriptPath"] == ARTIFACTS.bootstrap
