"""The PCA job: 1280-d features -> k principal components, a reusable fitted model and a JSON report.

A Spark ML ``Pipeline`` of ``StandardScaler(withMean=True, withStd=False)`` (centring: Spark's ``PCAModel``
does not subtract the mean itself) and ``PCA(k)``. The output column ``pca`` is ``array<float>``: Spark
writes ML vectors as doubles, float32 arrays are half the bytes. Sizes in the report are measured on the
written Parquet through the Hadoop FileSystem API.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from pyspark.ml import Pipeline
from pyspark.ml.feature import PCA, StandardScaler
from pyspark.ml.functions import array_to_vector, vector_to_array
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from fruits_spark import hadoop_fs
from fruits_spark.errors import JobInputError


@dataclass(frozen=True)
class PcaArgs:
    """The PCA job's parameters (the CLI flags of ``spark_jobs/pca.py``)."""

    input: str
    output: str
    k: int = 50
    model_output: str | None = None  # default: the output URI + "_model" (``.../pca`` -> ``.../pca_model``)
    report: str | None = None

    @property
    def model_uri(self) -> str:
        return self.model_output or self.output.rstrip("/") + "_model"


def run_pca(spark: SparkSession, args: PcaArgs) -> dict:
    """Fit, transform, save the model, and return the report (also written to ``args.report`` if given)."""
    features = _read_features(spark, args.input)
    images, input_dim = _check_shape(features, args.input, args.k)
    weights_sha256 = _weights_sha256(features)
    vectors = features.withColumn("vector", array_to_vector("features"))

    started = time.perf_counter()
    pipeline = Pipeline(stages=[
        StandardScaler(withMean=True, withStd=False, inputCol="vector", outputCol="centered"),
        PCA(k=args.k, inputCol="centered", outputCol="components"),
    ])
    model = pipeline.fit(vectors)
    fit_s = time.perf_counter() - started
    model.write().overwrite().save(args.model_uri)

    projected = model.transform(vectors).select(
        "path", "label", vector_to_array("components", dtype="float32").alias("pca"))
    projected.write.mode("overwrite").parquet(args.output)

    explained = np.asarray(model.stages[-1].explainedVariance.toArray(), dtype=float)
    cumulative = np.minimum(np.cumsum(explained), 1.0)  # rounding can push the full sum a hair above 1
    features_bytes = hadoop_fs.directory_bytes(spark, args.input)
    pca_bytes = hadoop_fs.directory_bytes(spark, args.output)
    report = {
        "images": images,
        "k": args.k,
        "input_dim": input_dim,
        "explained_variance": explained.tolist(),
        "cumulative_explained_variance": cumulative.tolist(),
        "total_explained_variance": float(cumulative[-1]),
        "features_bytes": features_bytes,
        "pca_bytes": pca_bytes,
        "storage_ratio": round(features_bytes / pca_bytes, 3),
        "weights_sha256": weights_sha256,
        "fit_s": round(fit_s, 3),
        "model_uri": args.model_uri,
    }
    print(f"pca: {images} images, {input_dim} -> {args.k} dims, "
          f"{report['total_explained_variance']:.1%} of the variance kept, storage ratio {report['storage_ratio']}")
    if args.report:
        hadoop_fs.write_json(spark, args.report, report)
    return report


def _read_features(spark: SparkSession, uri: str) -> DataFrame:
    if not hadoop_fs.exists(spark, uri):
        raise JobInputError(f"--input {uri} does not exist")
    features = spark.read.parquet(uri)
    missing = {"path", "label", "features"} - set(features.columns)
    if missing:
        raise JobInputError(f"--input {uri} lacks column(s) {', '.join(sorted(missing))}")
    return features


def _check_shape(features: DataFrame, uri: str, k: int) -> tuple[int, int]:
    """(rows, feature dimension); ``JobInputError`` for no rows, ragged features or an impossible ``k``."""
    sizes = features.groupBy(F.size("features").alias("dim")).count().collect()
    images = sum(row["count"] for row in sizes)
    if images == 0:
        raise JobInputError(f"--input {uri} has no feature rows: nothing to fit PCA on")
    if len(sizes) != 1 or sizes[0]["dim"] < 1:
        raise JobInputError(f"--input {uri} has features of differing lengths: {sorted(r['dim'] for r in sizes)}")
    input_dim = sizes[0]["dim"]
    if not 1 <= k <= input_dim:
        raise JobInputError(f"--k {k} must be between 1 and the feature dimension {input_dim}")
    if k > images:
        raise JobInputError(f"--k {k} is larger than the number of rows ({images}) in {uri}")
    return images, input_dim


def _weights_sha256(features: DataFrame) -> str | None:
    """The sha256 of the weights the features came from; ``JobInputError`` if they mix several models."""
    if "weights_sha256" not in features.columns:
        return None
    values = [row[0] for row in features.select("weights_sha256").distinct().collect()]
    if len(values) > 1:
        raise JobInputError(f"features come from {len(values)} different weights files: {sorted(map(str, values))}")
    return values[0]
