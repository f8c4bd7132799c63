"""The RunJobFlow request of one run: a short-lived, tagged EMR cluster sized for the featurize step.

Safety nets besides the DAG's teardown: an idle ``AutoTerminationPolicy``, and a cluster name that
carries the run key so a retried create task can find (and adopt) the cluster it already started.
"""
from __future__ import annotations

from fruits_emr.artifacts import Artifacts
from fruits_emr.config import RunConfig
from fruits_emr.instance_types import INSTANCE_TYPES, instance_type
from fruits_emr.layout import RunLayout
from fruits_emr.spark_sizing import SparkSizing

EMR_RELEASE_LABEL = "emr-7.13.0"  # newest emr-7.x in the EMR Release Guide, Nov 2026 (Spark 3.5.6)
PROJECT_TAG = "fruits-emr"
CLUSTER_NAME_PREFIX = "fruits-features"
IDLE_TIMEOUT_S = 15 * 60
SPOT_TIMEOUT_MINUTES = 10
JOB_FLOW_ROLE = "EMR_EC2_DefaultRole"
SERVICE_ROLE = "EMR_DefaultRole"


def cluster_name(layout: RunLayout) -> str:
    """The cluster's name, unique per run: what a retried create task looks for."""
    return f"{CLUSTER_NAME_PREFIX}-{layout.run_key}"


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
) -> dict:
    """The keyword arguments of ``RunJobFlow`` (``EmrCreateJobFlowOperator.job_flow_overrides``)."""
    return {
        "Name": cluster_name(layout),
        "ReleaseLabel": EMR_RELEASE_LABEL,
        "Applications": [{"Name": "Spark"}],
        "LogUri": layout.logs_uri,
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
        },
        "BootstrapActions": [
            {
                "Name": "install-spark-side-dependencies",
                "ScriptBootstrapAction": {"Path": artifacts.bootstrap, "Args": [artifacts.requirements]},
            }
        ],
        "Configurations": sizing.emr_configurations(),
        "AutoTerminationPolicy": {"IdleTimeout": IDLE_TIMEOUT_S},
        "StepConcurrencyLevel": 1,
        "JobFlowRole": JOB_FLOW_ROLE,
        "ServiceRole": SERVICE_ROLE,
        "VisibleToAllUsers": True,
        "Tags": [
            {"Key": "project", "Value": PROJECT_TAG},
            {"Key": "dag_id", "Value": dag_id},
            {"Key": "run_id", "Value": run_id},
        ],
    }
