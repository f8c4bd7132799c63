"""EUR per million images from the measured throughput, through the DAG's cost model (``fruits_emr.cost``).

Assumptions (also written into the results): images/s per vCPU = Spark steady-state images/s divided by
the local task slots, because this machine's cores are themselves KVM vCPUs (``lscpu``: one thread per
core under a hypervisor), the unit EC2 sells, on a server CPU of the same class (as
``DEFAULT_IMAGES_PER_VCPU_S`` is defined); the default cluster shape of ``ClusterShape`` (on-demand
primary that runs no tasks + Spot core nodes); the default Spot discount; the marginal cost excludes
the fixed provisioning overhead, which ``one_million_run_eur`` includes.
"""
from __future__ import annotations

from dataclasses import asdict

from fruits_emr.cost import (
    DEFAULT_OVERHEAD_MINUTES,
    DEFAULT_SPOT_DISCOUNT,
    PRICE_SOURCE,
    ClusterShape,
    estimate_run_cost,
    eur_per_million_images,
)

VCPUS_PER_LOCAL_CORE = 1  # a local core here is a KVM vCPU, like an EC2 vCPU


def cost_summary(spark_images_per_s: float, local_cores: int, shape: ClusterShape = ClusterShape()) -> dict:
    """The cost numbers and every assumption behind them."""
    per_vcpu = spark_images_per_s / local_cores / VCPUS_PER_LOCAL_CORE
    on_demand = ClusterShape(shape.primary_type, shape.core_type, shape.core_count, use_spot=False)
    return {
        "eur_per_million_images": round(eur_per_million_images(per_vcpu, shape), 4),
        "eur_per_million_images_on_demand": round(eur_per_million_images(per_vcpu, on_demand), 4),
        "one_million_run_eur": round(estimate_run_cost(1_000_000, shape, per_vcpu).eur, 4),
        "images_per_vcpu_s": round(per_vcpu, 3),
        "assumptions": {
            "images_per_core_s": round(spark_images_per_s / local_cores, 3),
            "vcpus_per_local_core": VCPUS_PER_LOCAL_CORE,
            "cluster_shape": asdict(shape),
            "spot_discount": DEFAULT_SPOT_DISCOUNT,
            "overhead_minutes_in_one_million_run": DEFAULT_OVERHEAD_MINUTES,
            "price_source": PRICE_SOURCE,
        },
    }
