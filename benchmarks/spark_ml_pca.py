"""The baseline: Spark ML's PCA as the PCA job used it before the exact PCA (kept here for comparison only).

A ``Pipeline`` of ``StandardScaler(withMean=True, withStd=False)`` (Spark's ``PCAModel`` does not centre)
and ``PCA(k)``; the projection is written as ``array<float>`` like the job's. Spark ML takes the SVD of the
covariance through netlib's LAPACK: the native ``liblapack.so.3`` when the machine has one, else its Java
fallback, which gave a wrong basis for rank-deficient covariances (fewer rows than dimensions).
"""
from __future__ import annotations

import numpy as np
from pyspark.ml import Pipeline
from pyspark.ml.feature import PCA, StandardScaler
from pyspark.ml.functions import array_to_vector, vector_to_array
from pyspark.sql import SparkSession

from benchmarks.timing import stopwatch


def spark_ml_pca(spark: SparkSession, features_uri: str, k: int, output_uri: str) -> dict:
    """Fit (``fit_s``), project and write (``project_s``); its explained-variance ratios and components."""
    vectors = spark.read.parquet(features_uri).withColumn("vector", array_to_vector("features"))
    elapsed = stopwatch()
    model = Pipeline(stages=[
        StandardScaler(withMean=True, withStd=False, inputCol="vector", outputCol="centered"),
        PCA(k=k, inputCol="centered", outputCol="components"),
    ]).fit(vectors)
    fit_s = elapsed()
    elapsed = stopwatch()
    (model.transform(vectors)
     .select("path", vector_to_array("components", dtype="float32").alias("pca"))
     .write.mode("overwrite").parquet(output_uri))
    project_s = elapsed()
    pca = model.stages[-1]
    return {
        "fit_s": round(fit_s, 3),
        "project_s": round(project_s, 3),
        "fit_and_project_s": round(fit_s + project_s, 3),
        "explained_variance_ratio": np.asarray(pca.explainedVariance.toArray()),
        "components": np.asarray(pca.pc.toArray()).T,  # pc is (d, k)
    }
