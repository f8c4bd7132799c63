"""Spark executor sizing for one EMR core-instance type, rendered as EMR ``Configurations``.

One executor per core node owns all its vCPUs; it runs two tasks at a time, each with its own
Python worker holding one TensorFlow model that uses half the vCPUs (``--tf-threads``). TensorFlow
lives in the Python workers, outside the JVM heap, so most of the YARN memory goes to the executor's
memory overhead.

The driver runs on the primary node (client deploy mode), but its YARN ApplicationMaster is a container
on a core node (EMR 6+ places ApplicationMasters on core nodes only). Every executor is sized so that
it fits beside that AM on its node: otherwise the node holding the AM runs no executor, and a
one-node cluster runs none at all. YARN rounds every container request up to a multiple of
``yarn.scheduler.minimum-allocation-mb``.
"""
from __future__ import annotations

from dataclasses import dataclass

from fruits_emr.instance_types import instance_type

# yarn.scheduler.minimum-allocation-mb on EMR for the offered types (EMR Release Guide, "Task
# configuration"); YARN's scheduler rounds each container request up to a multiple of it.
YARN_MIN_ALLOCATION_MB = 32
# The client-mode ApplicationMaster: spark.yarn.am.memory (default 512m) plus
# spark.yarn.am.memoryOverhead (default max(384 MB, 10 %)), Spark "Running on YARN" configuration.
AM_MEMORY_MB = 512
AM_OVERHEAD_MB = 384
# The interpreter the bootstrap script installs the pinned Spark-side packages into.
CLUSTER_PYTHON = "/usr/bin/python3.11"
TASKS_PER_EXECUTOR = 2
HEAP_SHARE = 0.25  # of the executor container; the rest is overhead for the Python workers (TensorFlow)
DRIVER_MEMORY = "4g"


def yarn_container_mb(request_mb: int) -> int:
    """The memory YARN grants for a request: rounded up to the minimum allocation."""
    return -(-request_mb // YARN_MIN_ALLOCATION_MB) * YARN_MIN_ALLOCATION_MB


AM_CONTAINER_MB = yarn_container_mb(AM_MEMORY_MB + AM_OVERHEAD_MB)


def executors_that_fit(node_yarn_mb: int, executor_container_mb: int, nodes: int) -> int:
    """How many executor containers YARN can place on ``nodes`` nodes, one of them also holding the AM."""
    per_node = node_yarn_mb // executor_container_mb
    beside_am = max(0, node_yarn_mb - AM_CONTAINER_MB) // executor_container_mb
    return per_node * (nodes - 1) + beside_am


@dataclass(frozen=True)
class SparkSizing:
    """Executor shape for ``instances`` core nodes of one instance type."""

    instances: int
    executor_cores: int
    task_cpus: int
    executor_memory_mb: int
    executor_overhead_mb: int
    node_yarn_memory_mb: int

    @property
    def executor_container_mb(self) -> int:
        """What YARN grants one executor: heap + overhead, rounded to the minimum allocation."""
        return yarn_container_mb(self.executor_memory_mb + self.executor_overhead_mb)

    @property
    def running_executors(self) -> int:
        """Executors that really run: the requested ones that YARN can place beside the AM."""
        capacity = executors_that_fit(self.node_yarn_memory_mb, self.executor_container_mb, self.instances)
        return min(self.instances, capacity)

    @property
    def tf_threads(self) -> int:
        """Threads one TensorFlow model may use: the vCPUs of one task."""
        return self.task_cpus

    @property
    def shuffle_partitions(self) -> int:
        return max(8, 2 * self.instances * self.executor_cores)

    def spark_defaults(self) -> dict[str, str]:
        return {
            "spark.executor.instances": str(self.instances),
            "spark.executor.cores": str(self.executor_cores),
            "spark.task.cpus": str(self.task_cpus),
            "spark.executor.memory": f"{self.executor_memory_mb}m",
            "spark.executor.memoryOverhead": f"{self.executor_overhead_mb}m",
            "spark.driver.memory": DRIVER_MEMORY,
            "spark.yarn.am.memory": f"{AM_MEMORY_MB}m",
            "spark.yarn.am.memoryOverhead": f"{AM_OVERHEAD_MB}m",
            "spark.dynamicAllocation.enabled": "false",
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.python.worker.reuse": "true",
            "spark.pyspark.python": CLUSTER_PYTHON,
            "spark.pyspark.driver.python": CLUSTER_PYTHON,
        }

    def emr_configurations(self) -> list[dict]:
        """The ``Configurations`` block of RunJobFlow for these Spark settings."""
        return [
            {"Classification": "spark-defaults", "Properties": self.spark_defaults()},
            {
                "Classification": "spark-env",
                "Configurations": [
                    {"Classification": "export", "Properties": {"PYSPARK_PYTHON": CLUSTER_PYTHON}}
                ],
            },
        ]


def _round_down(mb: float) -> int:
    return int(mb) // YARN_MIN_ALLOCATION_MB * YARN_MIN_ALLOCATION_MB


def size_executors(type_name: str, instances: int) -> SparkSizing:
    """Size one executor per core node of ``type_name``, leaving room for the AM on every node."""
    itype = instance_type(type_name)
    container_mb = _round_down(itype.yarn_memory_mb - AM_CONTAINER_MB)
    heap_mb = _round_down(container_mb * HEAP_SHARE)
    return SparkSizing(
        instances=instances,
        executor_cores=itype.vcpus,
        task_cpus=max(1, itype.vcpus // TASKS_PER_EXECUTOR),
        executor_memory_mb=heap_mb,
        executor_overhead_mb=container_mb - heap_mb,
        node_yarn_memory_mb=itype.yarn_memory_mb,
    )
