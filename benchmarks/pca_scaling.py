"""PCA with the production job (``fruits_spark.pca_job.run_pca``): fit time as rows grow, and the storage cut.

Scaling: synthetic 1280-d rows (deterministic pseudo-random floats from a hash, written by Spark in the
featurize job's format: ``path``, ``label``, ``features`` array<float>). PCA's cost depends on the
row count and dimension, not on the values, so synthetic rows are fine for the curve; the explained
variance of noise is meaningless and not reported. Storage: the job run on the real featurized images.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pyspark.sql import SparkSession, functions as F

from benchmarks.storage_variants import pca_size_variants
from fruits_spark.mobilenet import FEATURE_DIM
from fruits_spark.pca_job import PcaArgs, run_pca

PCA_K = 50


def write_synthetic_features(spark: SparkSession, rows: int, dest: Path) -> None:
    """``rows`` synthetic feature rows in [0, 6) (MobileNetV2's ReLU6 range) as Parquet at ``dest``."""
    values = F.expr(f"transform(sequence(0, {FEATURE_DIM - 1}), "
                    "i -> cast(pmod(xxhash64(id, i), 6000) / 1000.0 as float))")
    (spark.range(rows)
     .select(F.format_string("synthetic/%d.jpg", "id").alias("path"),
             F.format_string("class_%d", F.col("id") % 10).alias("label"),
             values.alias("features"))
     .write.mode("overwrite").parquet(str(dest)))


def pca_fit_seconds(spark: SparkSession, row_counts: list[int], workdir: Path,
                    progress: Callable[[str], None] = print) -> dict[str, float]:
    """The PCA job's own ``fit_s`` for each row count (k=50 on 1280-d synthetic rows)."""
    fit_s = {}
    for rows in row_counts:
        features = workdir / f"synthetic_{rows}"
        write_synthetic_features(spark, rows, features)
        report = run_pca(spark, PcaArgs(input=str(features), output=str(workdir / f"pca_{rows}"), k=PCA_K))
        fit_s[str(rows)] = report["fit_s"]
        progress(f"  PCA fit on {rows} rows: {report['fit_s']} s")
    return fit_s


def storage_on_real_features(spark: SparkSession, features_dir: str, workdir: Path, k: int = PCA_K) -> dict:
    """Run the PCA job on the featurize job's output; sizes and variance kept come from its report, plus
    what-if sizes of other layouts of the same rows (``benchmarks.storage_variants``)."""
    output = workdir / "pca_real"
    report = run_pca(spark, PcaArgs(input=features_dir, output=str(output), k=k))
    summary = {key: report[key] for key in ("images", "k", "features_bytes", "pca_bytes", "storage_ratio",
                                            "total_explained_variance", "fit_s")}
    return {**summary, "what_if": pca_size_variants(output, report["features_bytes"])}
