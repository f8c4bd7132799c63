"""Cost model of one EMR run in eu-west-3: the DAG's cost guard and the benchmarks use these functions.

Prices come from ``fruits_emr.instance_types`` (On-Demand Linux EC2 prices for eu-west-3 and the
Amazon EMR per-instance uplift, both billed per second, with their sources). Spot capacity is
modelled as a discount on the EC2 part only (EMR's uplift is the same on Spot). Throughput counts
the vCPUs of the executors that really run (``fruits_emr.spark_sizing``), not of every core node.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from fruits_emr.instance_types import instance_type
from fruits_emr.spark_sizing import size_executors

PRICE_SOURCE = (
    "aws.amazon.com/ec2/pricing/on-demand (Linux, eu-west-3) and aws.amazon.com/emr/pricing "
    "(EMR on EC2 uplift), read 2026-11"
)
EUR_PER_USD = 0.92  # ECB reference rate rounded up, Nov 2026; a higher rate only makes the guard stricter.

# Images per second per vCPU of the featurize step (decode + MobileNetV2 + Parquet write) by its --backend.
# Measured by `make bench` (benchmarks/results.json, `cost_by_backend.<name>.images_per_vcpu_s`: the job end
# to end on 1024 images, 2 vCPUs): 2026-11-24 keras 25.5, tflite 55.9; 2026-11-30 23:25 UTC keras 25.2,
# tflite 79.1 (one image per TFLite interpreter call). The guard takes less: a vCPU here reports as a whole
# core ("Thread(s) per core: 1"), while an m5 vCPU is one of the two hardware threads of a core (EC2's
# CpuOptions/VCpuInfo: ThreadsPerCore defaults to 2, docs.aws.amazon.com/AWSEC2/latest/APIReference/
# API_VCpuInfo.html), and EMR nodes also run YARN and HDFS daemons; over- rather than under-estimating cost.
IMAGES_PER_VCPU_S_BY_BACKEND = {"tflite": 45.0, "keras": 20.0}  # the job's default backend first
DEFAULT_BACKEND = next(iter(IMAGES_PER_VCPU_S_BY_BACKEND))
DEFAULT_IMAGES_PER_VCPU_S = IMAGES_PER_VCPU_S_BY_BACKEND[DEFAULT_BACKEND]
# Cluster provisioning + bootstrap (pip install of the Spark-side pins) + two Spark application starts.
DEFAULT_OVERHEAD_MINUTES = 15.0
DEFAULT_SPOT_DISCOUNT = 0.6  # typical Spot saving on m5/c5 in eu-west-3; a parameter, not a promise


@dataclass(frozen=True)
class ClusterShape:
    """The instances the job flow asks for; the primary node never runs Spark tasks."""

    primary_type: str = "m5.xlarge"
    core_type: str = "m5.xlarge"
    core_count: int = 2
    use_spot: bool = True

    def __post_init__(self) -> None:
        for itype in (self.primary_type, self.core_type):
            instance_type(itype)
        if self.core_count < 1:
            raise ValueError(f"core_count must be at least 1, got {self.core_count}")

    @property
    def executor_vcpus(self) -> int:
        """vCPUs of the executors YARN can really place on the core nodes."""
        sizing = size_executors(self.core_type, self.core_count)
        return sizing.running_executors * sizing.executor_cores


@dataclass(frozen=True)
class CostEstimate:
    """What a run is expected to cost, with the inputs that produced the number."""

    images: int
    compute_hours: float
    billed_hours: float
    eur_per_hour: float
    eur: float
    shape: ClusterShape
    images_per_vcpu_s: float
    spot_discount: float

    def as_log_dict(self) -> dict:
        return {
            "images": self.images,
            "cluster": f"1x{self.shape.primary_type} + {self.shape.core_count}x{self.shape.core_type}"
            f" ({'spot' if self.shape.use_spot else 'on-demand'} core)",
            "executor_vcpus": self.shape.executor_vcpus,
            # seconds, not hours: a small run's compute time rounds to 0 hours
            "compute_s": float(f"{self.compute_hours * 3600:.3g}"),
            "billed_minutes": round(self.billed_hours * 60),
            "eur_per_hour": round(self.eur_per_hour, 4),
            "estimated_eur": round(self.eur, 4),
            "images_per_vcpu_s": self.images_per_vcpu_s,
            "spot_discount": self.spot_discount,
            "price_source": PRICE_SOURCE,
        }


def _instance_eur_per_hour(itype: str, spot: bool, spot_discount: float) -> float:
    prices = instance_type(itype)
    ec2_factor = (1.0 - spot_discount) if spot else 1.0
    return (prices.ec2_usd_per_hour * ec2_factor + prices.emr_usd_per_hour) * EUR_PER_USD


def cluster_eur_per_hour(shape: ClusterShape, spot_discount: float = DEFAULT_SPOT_DISCOUNT) -> float:
    """EUR per hour of the whole cluster: an on-demand primary node plus the core nodes."""
    if not 0.0 <= spot_discount < 1.0:
        raise ValueError(f"spot_discount must be in [0, 1), got {spot_discount}")
    primary = _instance_eur_per_hour(shape.primary_type, False, spot_discount)
    core = _instance_eur_per_hour(shape.core_type, shape.use_spot, spot_discount)
    return primary + shape.core_count * core


def estimate_run_cost(
    images: int,
    shape: ClusterShape,
    images_per_vcpu_s: float = DEFAULT_IMAGES_PER_VCPU_S,
    overhead_minutes: float = DEFAULT_OVERHEAD_MINUTES,
    spot_discount: float = DEFAULT_SPOT_DISCOUNT,
) -> CostEstimate:
    """Cost of featurizing ``images`` on ``shape``: provisioning overhead plus compute time."""
    if images < 0:
        raise ValueError(f"images must be >= 0, got {images}")
    if images_per_vcpu_s <= 0:
        raise ValueError(f"images_per_vcpu_s must be > 0, got {images_per_vcpu_s}")
    compute_hours = images / (images_per_vcpu_s * shape.executor_vcpus) / 3600.0
    # EC2 bills per second with a one-minute minimum; round up to whole minutes to stay on the safe side.
    billed_hours = math.ceil((compute_hours * 60.0) + overhead_minutes) / 60.0
    per_hour = cluster_eur_per_hour(shape, spot_discount)
    return CostEstimate(
        images=images,
        compute_hours=compute_hours,
        billed_hours=billed_hours,
        eur_per_hour=per_hour,
        eur=billed_hours * per_hour,
        shape=shape,
        images_per_vcpu_s=images_per_vcpu_s,
        spot_discount=spot_discount,
    )


def eur_per_million_images(
    images_per_vcpu_s: float,
    shape: ClusterShape = ClusterShape(),
    spot_discount: float = DEFAULT_SPOT_DISCOUNT,
) -> float:
    """Marginal EUR per million images at steady state (provisioning overhead excluded)."""
    estimate = estimate_run_cost(1_000_000, shape, images_per_vcpu_s, 0.0, spot_discount)
    return estimate.compute_hours * estimate.eur_per_hour
