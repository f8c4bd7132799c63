"""The SparkSession side of the jobs: running a job from ``spark-submit`` and scoped configuration."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession

from fruits_spark.errors import JobInputError


def run_job(app_name: str, job: Callable[[SparkSession], dict]) -> int:
    """Run ``job`` in a SparkSession, print its report; bad input -> one-line message on stderr and exit 2."""
    spark = SparkSession.builder.appName(app_name).getOrCreate()
    try:
        report = job(spark)
    except JobInputError as exc:
        print(f"{app_name}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        spark.stop()
    print(json.dumps(report, indent=2))
    return 0


@contextmanager
def temporary_conf(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """Set SQL configuration for the duration of a block, then restore what was there before."""
    previous = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def task_cpus(spark: SparkSession) -> int:
    """Cores Spark reserves per task (``spark.task.cpus``, default 1): the threads one task may use."""
    return int(spark.sparkContext.getConf().get("spark.task.cpus", "1"))


@contextmanager
def worker_environment(spark: SparkSession, variables: dict[str, str]) -> Iterator[None]:
    """Environment variables for the Python workers of the functions *created* in this block.

    PySpark copies ``SparkContext.environment`` (its ``environment`` argument, plus ``spark.executorEnv.*``)
    into each Python function when the function is wrapped (``mapInArrow``, UDFs), and Spark keeps one
    worker pool per distinct environment, so this applies to those functions only, locally and on YARN.
    """
    environment = spark.sparkContext.environment
    previous = {key: environment.get(key) for key in variables}
    environment.update(variables)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value


def blas_threads_per_task(spark: SparkSession) -> dict[str, str]:
    """Worker environment limiting numpy's OpenBLAS to the task's cores (by default it starts one thread per
    core of the machine in every Python worker, and the concurrent tasks then oversubscribe the cores)."""
    return {"OPENBLAS_NUM_THREADS": str(task_cpus(spark))}
