"""The EC2 instance types a run may use: vCPUs, YARN memory and prices, in one table.

Everything that depends on an instance type (the cost guard, the Spark sizing, the configuration
check, the Spot fleet's interchangeable types) reads it from here, so a type is either fully known
or refused by ``check_config`` before any AWS call.

Sources, read 2026-11 (check again before trusting a budget to the cent):
- ``yarn_memory_mb``: ``yarn.nodemanager.resource.memory-mb`` that EMR sets per instance type, EMR
  Release Guide, "Task configuration"
  (docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-hadoop-task-config.html).
  The same tables give ``yarn.scheduler.minimum-allocation-mb`` = 32 for the current-generation types
  (see ``fruits_emr.spark_sizing.YARN_MIN_ALLOCATION_MB``).
- ``ec2_usd_per_hour``: On-Demand Linux price in eu-west-3 (Paris), aws.amazon.com/ec2/pricing/on-demand.
- ``emr_usd_per_hour``: the Amazon EMR on EC2 uplift per instance, aws.amazon.com/emr/pricing. The
  c5 family is cheaper than m5 for the same size: c5.xlarge is 0.043 (half of c5.2xlarge's 0.085,
  rounded up), not m5.xlarge's 0.048.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type as EMR sees it."""

    name: str
    vcpus: int
    yarn_memory_mb: int
    ec2_usd_per_hour: float
    emr_usd_per_hour: float


INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in (
        InstanceType(
            "m5.xlarge", vcpus=4, yarn_memory_mb=12288, ec2_usd_per_hour=0.224, emr_usd_per_hour=0.048
        ),
        InstanceType(
            "m5.2xlarge", vcpus=8, yarn_memory_mb=24576, ec2_usd_per_hour=0.448, emr_usd_per_hour=0.096
        ),
        InstanceType(
            "m6i.xlarge", vcpus=4, yarn_memory_mb=12288, ec2_usd_per_hour=0.224, emr_usd_per_hour=0.048
        ),
        InstanceType(
            "m6i.2xlarge", vcpus=8, yarn_memory_mb=24576, ec2_usd_per_hour=0.448, emr_usd_per_hour=0.096
        ),
        InstanceType(
            "c5.xlarge", vcpus=4, yarn_memory_mb=6144, ec2_usd_per_hour=0.202, emr_usd_per_hour=0.043
        ),
        InstanceType(
            "c5.2xlarge", vcpus=8, yarn_memory_mb=12288, ec2_usd_per_hour=0.404, emr_usd_per_hour=0.085
        ),
    )
}


def known_types() -> str:
    """The known type names, for error messages."""
    return ", ".join(sorted(INSTANCE_TYPES))


def instance_type(name: str) -> InstanceType:
    """The table row of ``name``; refuses a type the table does not know."""
    try:
        return INSTANCE_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown instance type {name!r}; known types: {known_types()}") from None
