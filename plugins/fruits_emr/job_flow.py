"""The RunJobFlow request of one run: a short-lived, tagged EMR cluster sized for the featurize step.

Safety nets besides the DAG's teardown: an idle ``AutoTerminationPolicy``, and tags that carry the
deployment id and an idempotency token of (deployment id, run id). RunJobFlow takes no client token
(the RunJobFlow request members of the EMR API model in botocore have none), so the tags are
what makes creation idempotent: a retried create task adopts the cluster carrying its token, and the
teardown finds the run's clusters by it even when no cluster id reached XCom. A staging Airflow in
the same account has another deployment id, so it never adopts nor terminates production's clusters.
"""
from __future__ import annotations

import hashlib

from fruits_emr.artifacts import Artifacts
from fruits_emr.config import RunConfig
from fruits_emr.instance_types import INSTANCE_TYPES, instance_type
from fruits_emr.layout import RunLayout
from fruits_emr.spark_sizing import SparkSizing

EMR_RELEASE_LABEL = "emr-7.13.0"  # newest emr-7.x in the EMR Release Guide, Nov 2026
# The Apache Spark each release runs (EMR Release Guide, "Spark release history": emr-7.13.0 ships
# 3.5.6-amzn-2, emr-7.12.0 3.5.6-amzn-1). requirements/emr-spark.txt pins the Spark of
# EMR_RELEASE_LABEL for the runtime-parity tests; a test fails when the two drift apart.
EMR_SPARK_VERSIONS = {"emr-7.12.0": "3.5.6", "emr-7.13.0": "3.5.6"}
PROJECT_TAG = "fruits-emr"
CLUSTER_NAME_PREFIX = "fruits-features"
IDLE_TIMEOUT_S = 15 * 60
SPOT_TIMEOUT_MINUTES = 10
DEPLOYMENT_TAG = "fruits-emr:deployment-id"
TOKEN_TAG = "fruits-emr:idempotency-token"


def cluster_name(deployment_id: str, layout: RunLayout) -> str:
    """The cluster's name, for people: deployment and run (adoption goes by tags, not by name)."""
    return f"{CLUSTER_NAME_PREFIX}-{deployment_id}-{layout.run_key}"


def idempotency_token(deployment_id: str, run_id: str) -> str:
    """The same for every try of one run in one deployment, different for anything else."""
    return hashlib.sha256(f"{deployment_id}\n{run_id}".encode()).hexdigest()[:32]


def run_tags(deployment_id: str, dag_id: str, run_id: str) -> list[dict[str, str]]:
    """The cluster's tags: cost allocation, and the deployment id + token that identify the run's clusters."""
    return [
        {"Key": "project", "Value": PROJECT_TAG},
        {"Key": "dag_id", "Value": dag_id},
        {"Key": "run_id", "Value": run_id},
        {"Key": DEPLOYMENT_TAG, "Value": deployment_id},
        {"Key": TOKEN_TAG, "Value": idempotency_token(deployment_id, run_id)},
    ]


def interchangeable_types(type_name: str) -> list[str]:
    """``type_name`` first, then the known types with the same vCPUs and YARN memory.

    Spot capacity is likelier with more types to choose from, and the Spark sizing holds for all.
    """
    wanted = instance_type(type_name)
    others = sorted(
        t.name for t in INSTANCE_TYPES.values()
        if t.name != type_name and (t.vcpus, t.yarn_memory_mb) == (wanted.vcpus, wanted.yarn_memory_mb)
    )
    return [type_name, *others]


def _network(cfg: RunConfig) -> dict:
    """Subnets and extra security groups of the instances (EMR API Reference, JobFlowInstancesConfig:
    ``Ec2SubnetIds`` "applies to clusters that use the instance fleet configuration", EMR launching in
    the best of them; ``AdditionalMasterSecurityGroups`` / ``AdditionalSlaveSecurityGroups``). Unset:
    EMR's default VPC and its managed security groups only."""
    network: dict = {}
    if cfg.security.subnet_ids:
        network["Ec2SubnetIds"] = list(cfg.security.subnet_ids)
    if cfg.security.additional_security_groups:
        network["AdditionalMasterSecurityGroups"] = list(cfg.security.additional_security_groups)
        network["AdditionalSlaveSecurityGroups"] = list(cfg.security.additional_security_groups)
    return network


def _log_encryption(cfg: RunConfig) -> dict:
    """EMR's log files in S3 with the deployment's KMS key; without one EMR keeps them "encrypted by
    AES-256" (EMR API Reference, RunJobFlow, ``LogEncryptionKmsKeyId``, EMR 5.30.0 and later)."""
    return {"LogEncryptionKmsKeyId": cfg.security.kms_key} if cfg.security.kms_key else {}


def _fleet(name: str, role: str, types: list[str], count: int, spot: bool) -> dict:
    fleet = {
        "Name": name,
        "InstanceFleetType": role,
        "InstanceTypeConfigs": [{"InstanceType": t, "WeightedCapacity": 1} for t in types],
    }
    if spot:
        fleet["TargetSpotCapacity"] = count
        fleet["LaunchSpecifications"] = {
            "SpotSpecification": {
                "TimeoutDurationMinutes": SPOT_TIMEOUT_MINUTES,
                "TimeoutAction": "SWITCH_TO_ON_DEMAND",
                "AllocationStrategy": "price-capacity-optimized",
            },
            "OnDemandSpecification": {"AllocationStrategy": "lowest-price"},
        }
    else:
        fleet["TargetOnDemandCapacity"] = count
    return fleet


def build_job_flow(
    cfg: RunConfig,
    layout: RunLayout,
    artifacts: Artifacts,
    sizing: SparkSizing,
    dag_id: str,
    run_id: str,
    security_configuration: str,
) -> dict:
    """The keyword arguments of ``RunJobFlow`` (``EmrCreateJobFlowOperator.job_flow_overrides``).

    ``security_configuration`` names the EMR security configuration (``fruits_emr.security_configuration``).
    """
    return {
        "Name": cluster_name(cfg.deployment_id, layout),
        "ReleaseLabel": EMR_RELEASE_LABEL,
        "Applications": [{"Name": "Spark"}],
        "LogUri": layout.logs_uri,
        **_log_encryption(cfg),
        "Instances": {
            "InstanceFleets": [
                _fleet("primary", "MASTER", [cfg.primary_instance_type], 1, spot=False),
                _fleet(
                    "core",
                    "CORE",
                    interchangeable_types(cfg.core_instance_type),
                    cfg.core_instance_count,
                    spot=cfg.use_spot,
                ),
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
            "TerminationProtected": False,
            **_network(cfg),
        },
        "BootstrapActions": [
            {
                "Name": "install-spark-side-dependencies",
                "ScriptBootstrapAction": {
                    "Path": artifacts.bootstrap,
                    "Args": [artifacts.requirements, *([cfg.security.wheelhouse] if cfg.security.wheelhouse
                                                       else [])],
                },
            }
        ],
        "Configurations": sizing.emr_configurations(),
        "AutoTerminationPolicy": {"IdleTimeout": IDLE_TIMEOUT_S},
        "StepConcurrencyLevel": 1,
        "SecurityConfiguration": security_configuration,
        "JobFlowRole": cfg.security.instance_profile,
        "ServiceRole": cfg.security.service_role,
        "VisibleToAllUsers": True,
        "Tags": run_tags(cfg.deployment_id, dag_id, run_id),
    }
