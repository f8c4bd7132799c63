"""The snapshot's features for the PCA step: earlier runs' partitions reused, this run's partition built.

The plan task writes ``snapshot_plan.json`` (see plugins/fruits_emr/incremental.py). From it, this module

- reuses each *kept* partition as it is: its rows are read only to be projected, its statistics are
  loaded from its ``partition_stats.npz`` instead of being recomputed;
- builds *this run's* partition: the rows the featurize step just wrote (``features/``) plus the rows
  that partitions which lost images (deleted or replaced) still hold for the snapshot, copied to
  ``carried/`` (the plan catalogue says which: featurized entries whose partition is this run) so the
  old partitions can be erased; its statistics are computed once and saved next to it;
- combines all statistics into the snapshot's, which is what the PCA is fitted on.

So a nightly refit reads the history only to project it (k floats out per row), never to fit it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, functions as F

from fruits_spark import hadoop_fs
from fruits_spark.covariance import FeatureStats, combine_tree
from fruits_spark.errors import JobInputError, missing_input_is
from fruits_spark.mobilenet import FEATURE_DIM
from fruits_spark.pca_spark import column_stats

FEATURES_SCHEMA = "path string, label string, features array<float>, weights_sha256 string"
FEATURIZED = "featurized"  # fruits_emr.catalogue.FEATURIZED (tests/library/test_shared_facts.py)
SNAPSHOT_PLAN_VERSION = 1


@dataclass(frozen=True)
class SnapshotFeatures:
    """Every feature row of the snapshot, their combined statistics, and one report entry per partition."""

    frame: DataFrame
    stats: FeatureStats
    partitions: list[dict]


def read_partition(spark: SparkSession, dirs: list[str]) -> DataFrame:
    """The rows of a partition's Parquet folders that exist (``carried/`` often does not)."""
    frames = [spark.read.schema(FEATURES_SCHEMA).parquet(d) for d in dirs if hadoop_fs.exists(spark, d)]
    if not frames:
        return spark.createDataFrame([], FEATURES_SCHEMA)
    return reduce(DataFrame.unionByName, frames)


def _load_plan(spark: SparkSession, uri: str) -> dict:
    with missing_input_is(f"--snapshot-plan {uri} does not exist"):
        plan = json.loads(hadoop_fs.read_text(spark, uri))
    if plan.get("version") != SNAPSHOT_PLAN_VERSION:
        raise JobInputError(f"--snapshot-plan {uri} has version {plan.get('version')}, "
                            f"this job reads version {SNAPSHOT_PLAN_VERSION}")
    return plan


def _carry(spark: SparkSession, plan: dict) -> str | None:
    """Copy the rows the snapshot keeps from partitions that lost some into ``carried/``; its URI."""
    if not plan["carried_from"]:
        return None
    catalogue = spark.read.parquet(plan["plan_catalogue"])
    keep = catalogue.where((F.col("status") == FEATURIZED) & (F.col("partition") == plan["run_key"])).select(
        "path"
    )
    old_rows = read_partition(spark, [d for p in plan["carried_from"] for d in p["dirs"]])
    features_dir, carried_dir = plan["new_partition"]["dirs"]
    old_rows.join(keep, "path", "left_semi").write.mode("overwrite").parquet(carried_dir)
    return carried_dir


def _kept_stats(spark: SparkSession, partition: dict) -> FeatureStats:
    with missing_input_is(f"statistics of partition {partition['run_key']} are missing: "
                          f"{partition['stats_uri']} (run with full_reprocess)"):
        stats = FeatureStats.from_bytes(hadoop_fs.read_bytes(spark, partition["stats_uri"]))
    if stats.count != partition["rows"]:
        raise JobInputError(f"partition {partition['run_key']}: its statistics count {stats.count} rows, "
                            f"the published snapshot says {partition['rows']}")
    return stats


def snapshot_features(spark: SparkSession, plan_uri: str) -> SnapshotFeatures:
    """Build this run's partition (rows + statistics) and gather the kept partitions, per the plan."""
    plan = _load_plan(spark, plan_uri)
    carried_dir = _carry(spark, plan)
    new = plan["new_partition"]
    new_dirs = [new["dirs"][0]] + ([carried_dir] if carried_dir else [])
    new_rows = read_partition(spark, new_dirs)
    new_stats = column_stats(new_rows, "features", FEATURE_DIM)
    partitions, frames, stats = [], [new_rows], [new_stats]
    if new_stats.count:  # a night that only erased images leaves this run without a partition of its own
        hadoop_fs.write_bytes(spark, new["stats_uri"], new_stats.to_bytes())
        partitions.append({**new, "dirs": new_dirs, "rows": new_stats.count, "statistics": "computed"})
    for kept in plan["kept_partitions"]:
        stats.append(_kept_stats(spark, kept))
        frames.append(read_partition(spark, kept["dirs"]))
        partitions.append({**kept, "statistics": "reused"})
    return SnapshotFeatures(reduce(DataFrame.unionByName, frames), combine_tree(stats), partitions)
