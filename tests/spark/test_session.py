"""Scoped configuration: the featurize job's Spark settings do not leak into the caller's session."""
from __future__ import annotations

from fruits_spark.session import task_cpus, temporary_conf

SET_BEFORE = "spark.sql.execution.arrow.maxRecordsPerBatch"
UNSET_BEFORE = "spark.sql.files.openCostInBytes"


def test_temporary_conf_restores_set_and_unset_keys(spark):
    spark.conf.set(SET_BEFORE, "123")
    spark.conf.unset(UNSET_BEFORE)
    default_cost = spark.conf.get(UNSET_BEFORE)
    with temporary_conf(spark, {SET_BEFORE: "7", UNSET_BEFORE: "1"}):
        assert (spark.conf.get(SET_BEFORE), spark.conf.get(UNSET_BEFORE)) == ("7", "1")
    assert (spark.conf.get(SET_BEFORE), spark.conf.get(UNSET_BEFORE)) == ("123", default_cost)
    spark.conf.unset(SET_BEFORE)


def test_task_cpus_defaults_to_one(spark):
    assert task_cpus(spark) == 1
