"""Cost model: the arithmetic the DAG's cost guard and the benchmarks rely on."""
import pytest

from fruits_emr.cost import (
    ClusterShape,
    cluster_eur_per_hour,
    estimate_run_cost,
    eur_per_million_images,
)
from fruits_emr.instance_types import instance_type
from fruits_emr.spark_sizing import size_executors


def test_spot_makes_the_core_nodes_cheaper_but_not_the_emr_uplift():
    on_demand = cluster_eur_per_hour(ClusterShape(use_spot=False), spot_discount=0.6)
    spot = cluster_eur_per_hour(ClusterShape(use_spot=True), spot_discount=0.6)
    ec2 = instance_type("m5.xlarge").ec2_usd_per_hour
    assert spot < on_demand
    # Only the two core nodes' EC2 part is discounted.
    assert on_demand - spot == pytest.approx(2 * ec2 * 0.6 * 0.92)


def test_cost_grows_with_images_and_includes_the_provisioning_overhead():
    shape = ClusterShape()
    empty = estimate_run_cost(0, shape, overhead_minutes=15)
    small = estimate_run_cost(10_000, shape, overhead_minutes=15)
    large = estimate_run_cost(1_000_000, shape, overhead_minutes=15)
    assert empty.billed_hours == pytest.approx(0.25)
    assert 0 < empty.eur < small.eur < large.eur


def test_billed_time_rounds_up_to_whole_minutes():
    estimate = estimate_run_cost(1, ClusterShape(), images_per_vcpu_s=1.0, overhead_minutes=0)
    assert estimate.billed_hours == pytest.approx(1 / 60)


def test_more_core_nodes_finish_sooner():
    two = estimate_run_cost(1_000_000, ClusterShape(core_count=2))
    eight = estimate_run_cost(1_000_000, ClusterShape(core_count=8))
    assert eight.compute_hours == pytest.approx(two.compute_hours / 4)


def test_eur_per_million_excludes_overhead_and_scales_inversely_with_throughput():
    slow = eur_per_million_images(10.0)
    fast = eur_per_million_images(20.0)
    assert slow == pytest.approx(2 * fast)


def test_log_dict_names_its_inputs():
    logged = estimate_run_cost(3000, ClusterShape()).as_log_dict()
    assert {"images", "cluster", "estimated_eur", "images_per_vcpu_s", "price_source"} <= logged.keys()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"core_type": "p4d.24xlarge"}, "unknown instance type"),
        ({"core_count": 0}, "core_count must be at least 1"),
    ],
)
def test_cluster_shape_refuses_unknown_types_and_empty_clusters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClusterShape(**kwargs)


def test_estimate_refuses_nonsense_inputs():
    with pytest.raises(ValueError, match="images must be >= 0"):
        estimate_run_cost(-1, ClusterShape())
    with pytest.raises(ValueError, match="images_per_vcpu_s must be > 0"):
        estimate_run_cost(1, ClusterShape(), images_per_vcpu_s=0)
    with pytest.raises(ValueError, match="spot_discount"):
        cluster_eur_per_hour(ClusterShape(), spot_discount=1.0)


@pytest.mark.parametrize("core_count", [1, 2, 5])
def test_throughput_counts_the_executors_that_really_run(core_count):
    shape = ClusterShape(core_type="c5.xlarge", core_count=core_count)
    sizing = size_executors("c5.xlarge", core_count)
    assert shape.executor_vcpus == sizing.running_executors * sizing.executor_cores == 4 * core_count
    estimate = estimate_run_cost(72_000, shape, images_per_vcpu_s=10.0)
    assert estimate.compute_hours == pytest.approx(72_000 / (10.0 * 4 * core_count) / 3600)


def test_c5_xlarge_pays_the_c5_emr_uplift_not_the_m5_one():
    # aws.amazon.com/emr/pricing: c5.xlarge 0.043 USD/h (c5.2xlarge 0.085), m5.xlarge 0.048.
    assert instance_type("c5.xlarge").emr_usd_per_hour == 0.043
    assert instance_type("c5.2xlarge").emr_usd_per_hour == 0.085
