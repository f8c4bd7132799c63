"""The PCA job: 1280-d features -> k principal components, a reusable fitted model and a JSON report.

An exact PCA in three parts:

1. the statistics: with ``--input`` (one feature partition), ``compute_stats`` makes one pass over the
   features, per-partition float64 ``FeatureStats`` (count, mean, centred scatter) reduced as a tree
   (``fruits_spark.pca_spark``; the same pass checks the row lengths). With ``--snapshot-plan`` (what the
   pipeline runs) the statistics of earlier partitions are reused from their ``partition_stats.npz`` and
   only this run's partition is computed (``fruits_spark.snapshot``): one basis for the whole snapshot;
2. ``PcaModel.fit``: ``numpy.linalg.eigh`` of the 1280 x 1280 covariance on the driver
   (``fruits_spark.covariance``; Spark ML's PCA is not used: its LAPACK differs between machines and
   gave a wrong basis on rank-deficient covariances);
3. ``project_and_write``: every row projected in the executors, ``pca`` written as ``array<float>`` at
   float16's precision, byte-stream-split and zstd-compressed (``fruits_spark.pca_storage``).

Then the run checks itself (``fruits_spark.pca_checks``): the written table is read back and its
statistics must match the eigenvalues, the components must be the leading orthonormal eigenvectors and
the total variance must match Spark's ``Summarizer``. Only then are the model (``model.npz`` +
``model.json`` under ``--model-output``, with the statistics it was fitted on, ``stats.npz``) and the
report written. Sizes in the report are measured on the
written Parquet through the Hadoop FileSystem API.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from pyspark.ml.functions import array_to_vector
from pyspark.ml.stat import Summarizer
from pyspark.sql import DataFrame, SparkSession, functions as F

from fruits_spark import hadoop_fs, pca_checks
from fruits_spark.covariance import MODEL_FORMAT_VERSION, PCA_METHOD, FeatureStats, PcaModel
from fruits_spark.errors import JobInputError
from fruits_spark.pca_spark import RaggedRowsError, column_stats, project
from fruits_spark.pca_storage import UNIT_ROUNDOFF, WRITE_OPTIONS
from fruits_spark.snapshot import snapshot_features

MODEL_FILE = "model.npz"
MODEL_DESCRIPTION_FILE = "model.json"
STATS_FILE = "stats.npz"  # the FeatureStats the model was fitted on: a refit adds new rows' stats to them


@dataclass(frozen=True)
class PcaArgs:
    """The PCA job's parameters (the CLI flags of ``spark_jobs/pca.py``)."""

    input: str | None
    output: str
    k: int = 50
    model_output: str | None = None  # default: the output URI + "_model" (``.../pca`` -> ``.../pca_model``)
    report: str | None = None
    snapshot_plan: str | None = (
        None  # instead of ``input``: every partition of a snapshot (fruits_spark.snapshot)
    )

    @property
    def model_uri(self) -> str:
        return self.model_output or self.output.rstrip("/") + "_model"


def run_pca(spark: SparkSession, args: PcaArgs) -> dict:
    """Fit, project, check, save the model, and return the report (also written to ``args.report``)."""
    started = time.perf_counter()
    features, stats, partitions = _features_and_stats(spark, args)
    source = args.snapshot_plan or args.input
    input_dim = stats.dim
    if not 1 <= args.k <= input_dim:
        raise JobInputError(f"--k {args.k} must be between 1 and the feature dimension {input_dim}")
    weights_sha256 = _weights_sha256(features)
    _check_rows(stats.count, source, args.k)
    model = PcaModel.fit(stats, args.k, weights_sha256)
    fit_s = time.perf_counter() - started

    started = time.perf_counter()
    project_and_write(features, model, args.output)
    project_s = time.perf_counter() - started

    started = time.perf_counter()
    self_checks = check_pca(spark, features, args.output, model, stats)
    check_s = time.perf_counter() - started
    write_model(spark, model, stats, args.model_uri)
    report = _report(spark, args, model, partitions, self_checks,
                     {"fit_s": fit_s, "project_s": project_s, "check_s": check_s})
    print(
        f"pca: {model.count} images, {input_dim} -> {args.k} dims, "
        f"{report['total_explained_variance']:.1%} of the variance kept, "
        f"storage ratio {report['storage_ratio']}"
    )
    if args.report:
        hadoop_fs.write_json(spark, args.report, report)
    return report


def _features_and_stats(spark: SparkSession, args: PcaArgs) -> tuple[DataFrame, FeatureStats, list[dict]]:
    """The rows to project, the statistics to fit on, and the feature partitions they come from."""
    if args.snapshot_plan:
        snapshot = snapshot_features(spark, args.snapshot_plan)
        return snapshot.frame, snapshot.stats, snapshot.partitions
    features = _read_features(spark, args.input)
    stats = compute_stats(features, args.input, _feature_dimension(features, args.input, args.k))
    return (
        features,
        stats,
        [{"run_key": None, "dirs": [args.input], "rows": stats.count, "statistics": "computed"}],
    )


def compute_stats(features: DataFrame, uri: str, input_dim: int) -> FeatureStats:
    """``FeatureStats`` of the ``features`` column; ``JobInputError`` when rows differ in length."""
    try:
        return column_stats(features, "features", input_dim)
    except RaggedRowsError as err:
        raise JobInputError(f"--input {uri} has features of differing lengths: {err.lengths}") from None


def project_and_write(features: DataFrame, model: PcaModel, output_uri: str) -> None:
    """Write ``path``, ``label``, ``pca`` (``model.project`` of ``features``, float32 at float16's
    precision) as Parquet with the options of ``fruits_spark.pca_storage``."""
    project(features, model).write.mode("overwrite").options(**WRITE_OPTIONS).parquet(output_uri)


def check_pca(spark: SparkSession, features: DataFrame, output_uri: str, model: PcaModel,
              stats: FeatureStats) -> dict[str, dict]:
    """Every self-check of ``fruits_spark.pca_checks``; raises ``PcaCheckError`` when one fails."""
    projected = column_stats(spark.read.parquet(output_uri), "pca", model.k)
    summary = features.select(Summarizer.metrics("variance").summary(array_to_vector("features"))).first()[0]
    return pca_checks.enforce([
        *pca_checks.model_checks(model, stats),
        *pca_checks.projection_checks(model, projected, UNIT_ROUNDOFF),
        pca_checks.total_variance_check(model, summary.variance.toArray()),
    ])


def write_model(spark: SparkSession, model: PcaModel, stats: FeatureStats, model_uri: str) -> None:
    """``model.npz`` (every array), ``model.json`` (what it is) and ``stats.npz`` under ``model_uri``."""
    base = model_uri.rstrip("/")
    hadoop_fs.write_bytes(spark, f"{base}/{MODEL_FILE}", model.to_bytes())
    hadoop_fs.write_bytes(spark, f"{base}/{STATS_FILE}", stats.to_bytes())
    hadoop_fs.write_text(spark, f"{base}/{MODEL_DESCRIPTION_FILE}", model.describe_json())


def load_model(spark: SparkSession, model_uri: str) -> PcaModel:
    """The model ``write_model`` saved under ``model_uri``."""
    return PcaModel.from_bytes(hadoop_fs.read_bytes(spark, f"{model_uri.rstrip('/')}/{MODEL_FILE}"))


def load_stats(spark: SparkSession, model_uri: str) -> FeatureStats:
    """The statistics the model under ``model_uri`` was fitted on."""
    return FeatureStats.from_bytes(hadoop_fs.read_bytes(spark, f"{model_uri.rstrip('/')}/{STATS_FILE}"))


def _report(spark: SparkSession, args: PcaArgs, model: PcaModel, partitions: list[dict], self_checks: dict,
            seconds: dict) -> dict:
    explained = model.explained_variance_ratio
    cumulative = np.minimum(np.cumsum(explained), 1.0)  # rounding can push the full sum a hair above 1
    features_bytes = sum(hadoop_fs.directory_bytes(spark, d) for p in partitions for d in p["dirs"])
    pca_bytes = hadoop_fs.directory_bytes(spark, args.output)
    return {
        "images": model.count,
        "k": args.k,
        "input_dim": model.input_dim,
        "explained_variance": explained.tolist(),
        "cumulative_explained_variance": cumulative.tolist(),
        "total_explained_variance": float(cumulative[-1]),
        "total_variance": model.total_variance,
        "features_bytes": features_bytes,
        "pca_bytes": pca_bytes,
        "storage_ratio": round(features_bytes / pca_bytes, 3),
        "pca_unit_roundoff": UNIT_ROUNDOFF,  # stored values' largest relative rounding error
        "weights_sha256": model.weights_sha256,
        **{name: round(value, 3) for name, value in seconds.items()},
        "model_uri": args.model_uri,
        "method": PCA_METHOD,
        "model_version": MODEL_FORMAT_VERSION,
        "self_checks": self_checks,
        "partitions": partitions,
    }


def _read_features(spark: SparkSession, uri: str) -> DataFrame:
    if not hadoop_fs.exists(spark, uri):
        raise JobInputError(f"--input {uri} does not exist")
    features = spark.read.parquet(uri)
    missing = {"path", "label", "features"} - set(features.columns)
    if missing:
        raise JobInputError(f"--input {uri} lacks column(s) {', '.join(sorted(missing))}")
    return features


def _feature_dimension(features: DataFrame, uri: str, k: int) -> int:
    """The length of the first row's features (``compute_stats`` checks every other row against it)."""
    first = features.select(F.size("features").alias("dim")).first()
    if first is None:
        raise JobInputError(f"--input {uri} has no feature rows: nothing to fit PCA on")
    if first["dim"] is None or first["dim"] < 1:
        raise JobInputError(f"--input {uri} has a row without features (length {first['dim']})")
    input_dim = first["dim"]
    if not 1 <= k <= input_dim:
        raise JobInputError(f"--k {k} must be between 1 and the feature dimension {input_dim}")
    return input_dim


def _check_rows(images: int, uri: str, k: int) -> None:
    if k > images:
        raise JobInputError(f"--k {k} is larger than the number of rows ({images}) in {uri}")
    if images < 2:
        raise JobInputError(f"--input {uri} has {images} row: a covariance needs at least 2")


def _weights_sha256(features: DataFrame) -> str | None:
    """The sha256 of the weights the features came from; ``JobInputError`` if they mix several models."""
    if "weights_sha256" not in features.columns:
        return None
    values = [row[0] for row in features.select("weights_sha256").distinct().collect()]
    if len(values) > 1:
        raise JobInputError(
            f"features come from {len(values)} different weights files: {sorted(map(str, values))}"
        )
    return values[0]
