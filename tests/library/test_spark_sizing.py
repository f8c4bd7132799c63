"""Executor sizing against YARN's arithmetic: the client-mode AM must fit beside an executor on a core
node."""

import pytest

from fruits_emr.instance_types import INSTANCE_TYPES
from fruits_emr.spark_sizing import (
    AM_CONTAINER_MB,
    YARN_MIN_ALLOCATION_MB,
    executors_that_fit,
    size_executors,
    yarn_container_mb,
)


def test_yarn_rounds_requests_up_to_the_minimum_allocation():
    assert YARN_MIN_ALLOCATION_MB == 32
    assert [yarn_container_mb(mb) for mb in (1, 32, 33, 11673)] == [32, 32, 64, 11680]
    assert AM_CONTAINER_MB == 896  # 512 MB + 384 MB overhead, already a multiple of 32


def test_an_executor_as_large_as_the_node_leaves_the_am_node_without_executor():
    # The sizing before the AM was counted: m5.xlarge 3,072 + 8,601 MB -> 11,680 of 12,288 MB.
    oversized = yarn_container_mb(3072 + 8601)
    assert executors_that_fit(12288, oversized, nodes=2) == 1
    assert executors_that_fit(12288, oversized, nodes=1) == 0


@pytest.mark.parametrize("itype", sorted(INSTANCE_TYPES))
@pytest.mark.parametrize("nodes", [1, 2, 3])
def test_every_executor_fits_beside_the_application_master(itype, nodes):
    sizing = size_executors(itype, nodes)
    yarn_mb = INSTANCE_TYPES[itype].yarn_memory_mb
    container = sizing.executor_container_mb
    assert container == sizing.executor_memory_mb + sizing.executor_overhead_mb  # no hidden rounding
    assert container % YARN_MIN_ALLOCATION_MB == 0
    assert AM_CONTAINER_MB + container <= yarn_mb
    assert container > yarn_mb - AM_CONTAINER_MB - YARN_MIN_ALLOCATION_MB  # nothing left unused
    assert sizing.running_executors == nodes
    assert sizing.executor_overhead_mb >= max(384, sizing.executor_memory_mb // 10)  # Spark's own minimum


@pytest.mark.parametrize("itype", sorted(INSTANCE_TYPES))
def test_spark_settings_pin_the_application_master_that_was_sized_for(itype):
    defaults = size_executors(itype, 2).spark_defaults()
    assert defaults["spark.yarn.am.memory"] == "512m"
    assert defaults["spark.yarn.am.memoryOverhead"] == "384m"
    assert defaults["spark.executor.cores"] == str(INSTANCE_TYPES[itype].vcpus)
