"""Spark executor sizing for one EMR core-instance type, rendered as EMR ``Configurations``.

One executor per core node owns all its vCPUs; it runs two tasks at a time, each with its own
Python worker holding one TensorFlow model that uses half the vCPUs (``--tf-threads``). TensorFlow
lives in the Python workers, outside the JVM heap, so most of the YARN memory goes to the executor's
memory overhead. The driver runs on the primary node (client deploy mode), not in a core-node container.
"""
from __future__ import annotations

from dataclasses import dataclass

from fruits_emr.cost import INSTANCE_PRICES_USD

# yarn.nodemanager.resource.memory-mb that EMR sets by default per instance type (EMR Release Guide,
# "Task configuration", read 2026-11). Types missing here cannot be sized, so they are refused.
YARN_MEMORY_MB: dict[str, int] = {
    "m5.xlarge": 12288,
    "m5.2xlarge": 24576,
    "m6i.xlarge": 12288,
    "m6i.2xlarge": 24576,
    "c5.xlarge": 6144,
    "c5.2xlarge": 12288,
}
# The interpreter the bootstrap script installs the pinned Spark-side packages into.
CLUSTER_PYTHON = "/usr/bin/python3.11"
TASKS_PER_EXECUTOR = 2
HEAP_SHARE = 0.25
OVERHEAD_SHARE = 0.70
DRIVER_MEMORY = "4g"


@dataclass(frozen=True)
class SparkSizing:
    """Executor shape for ``instances`` core nodes of one instance type."""

    instances: int
    executor_cores: int
    task_cpus: int
    executor_memory_mb: int
    executor_overhead_mb: int

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


def size_executors(instance_type: str, instances: int) -> SparkSizing:
    """Size one executor per core node of ``instance_type``."""
    if instance_type not in YARN_MEMORY_MB:
        raise ValueError(
            f"cannot size Spark for {instance_type!r}; known types: {', '.join(sorted(YARN_MEMORY_MB))}"
        )
    vcpus = INSTANCE_PRICES_USD[instance_type][0]
    yarn_mb = YARN_MEMORY_MB[instance_type]
    return SparkSizing(
        instances=instances,
        executor_cores=vcpus,
        task_cpus=max(1, vcpus // TASKS_PER_EXECUTOR),
        executor_memory_mb=int(yarn_mb * HEAP_SHARE),
        executor_overhead_mb=int(yarn_mb * OVERHEAD_SHARE),
    )
