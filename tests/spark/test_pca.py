"""The PCA job in local Spark: shapes, explained variance against numpy, report, model reuse, errors."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from pyspark.ml import PipelineModel
from pyspark.ml.functions import array_to_vector, vector_to_array

from fruits_spark.errors import JobInputError
from fruits_spark.pca_job import PcaArgs, run_pca

DIM = 16
ROWS = 40


def write_features(spark, uri: str, matrix: np.ndarray, sha: str = "abc") -> None:
    rows = [(f"file:/x/c{i % 3}/{i}.jpg", f"c{i % 3}", vector.tolist(), sha)
            for i, vector in enumerate(matrix)]
    spark.createDataFrame(rows, "path string, label string, features array<float>, weights_sha256 string") \
        .write.mode("overwrite").parquet(uri)


@pytest.fixture(scope="module")
def low_rank_features(spark, tmp_path_factory) -> tuple[str, np.ndarray]:
    """40 rows in 16 dimensions, mostly spanned by 3 directions, plus a little noise."""
    rng = np.random.default_rng(7)
    matrix = (rng.normal(size=(ROWS, 3)) * [5.0, 3.0, 2.0]) @ rng.normal(size=(3, DIM)) + 10
    matrix = (matrix + rng.normal(scale=0.1, size=(ROWS, DIM))).astype(np.float32)
    uri = str(tmp_path_factory.mktemp("pca_input") / "features")
    write_features(spark, uri, matrix)
    return uri, matrix


@pytest.fixture(scope="module")
def pca_run(spark, low_rank_features, tmp_path_factory):
    out = tmp_path_factory.mktemp("pca_output")
    args = PcaArgs(input=low_rank_features[0], output=str(out / "pca"), k=4,
                   report=str(out / "pca_report.json"))
    return args, run_pca(spark, args)


def test_output_has_k_float_components_per_row(spark, pca_run):
    args, _ = pca_run
    table = spark.read.parquet(args.output)
    assert dict(table.dtypes) == {"path": "string", "label": "string", "pca": "array<float>"}
    rows = table.collect()
    assert len(rows) == ROWS
    assert {len(row.pca) for row in rows} == {args.k}


def test_explained_variance_matches_numpy_eigenvalues(spark, pca_run, low_rank_features):
    args, report = pca_run
    covariance = np.cov(low_rank_features[1].astype(np.float64), rowvar=False)
    eigenvalues = np.sort(np.linalg.eigvalsh(covariance))[::-1]
    np.testing.assert_allclose(report["explained_variance"], eigenvalues[: args.k] / eigenvalues.sum(),
                               rtol=1e-4)
    cumulative = np.asarray(report["cumulative_explained_variance"])
    assert np.all(np.diff(cumulative) >= 0) and 0 < cumulative[0] and cumulative[-1] <= 1
    assert report["total_explained_variance"] == cumulative[-1] > 0.99
    projected = np.asarray([row.pca for row in spark.read.parquet(args.output).collect()])
    np.testing.assert_allclose(projected.var(axis=0, ddof=1), eigenvalues[: args.k], rtol=1e-3)
    np.testing.assert_allclose(projected.mean(axis=0), 0, atol=1e-3)  # centred before projection


def test_report_has_every_field_and_is_written(pca_run):
    args, report = pca_run
    assert {"images", "k", "input_dim", "explained_variance", "cumulative_explained_variance",
            "total_explained_variance", "features_bytes", "pca_bytes", "storage_ratio", "weights_sha256",
            "fit_s"} <= report.keys()
    assert (report["images"], report["k"], report["input_dim"], report["weights_sha256"]) == \
        (ROWS, 4, DIM, "abc")
    assert json.loads(Path(args.report).read_text()) == report


def test_saved_model_transforms_new_data_like_the_job(spark, pca_run, low_rank_features):
    args, _ = pca_run
    model = PipelineModel.load(args.model_uri)
    assert args.model_uri.endswith("pca_model")
    features = spark.read.parquet(low_rank_features[0]).withColumn("vector", array_to_vector("features"))
    again = {row.path: row.pca for row in model.transform(features)
             .select("path", vector_to_array("components").alias("pca")).collect()}
    for row in spark.read.parquet(args.output).collect():
        np.testing.assert_allclose(row.pca, again[row.path], rtol=1e-5, atol=1e-5)


def _parquet_bytes(folder: str) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*")
               if f.is_file() and not f.name.endswith(".crc"))


def test_real_features_shrink_and_sizes_are_measured_on_disk(spark, featurized, tmp_path):
    features_uri = featurized[0].output
    report = run_pca(spark, PcaArgs(input=features_uri, output=str(tmp_path / "pca"), k=5))
    assert report["input_dim"] == 1280
    assert report["features_bytes"] == _parquet_bytes(features_uri)
    assert report["pca_bytes"] == _parquet_bytes(str(tmp_path / "pca"))
    assert report["storage_ratio"] > 1
    assert report["weights_sha256"] == featurized[1]["weights_sha256"]


@pytest.mark.parametrize(("rows", "k", "message"), [
    (0, 2, "no feature rows"),
    (ROWS, DIM + 1, "feature dimension 16"),
    (5, 6, "larger than the number of rows"),
])
def test_impossible_inputs_fail_with_a_clear_message(spark, tmp_path, rows, k, message):
    uri = str(tmp_path / "features")
    write_features(spark, uri, np.ones((rows, DIM), np.float32))
    with pytest.raises(JobInputError, match=message):
        run_pca(spark, PcaArgs(input=uri, output=str(tmp_path / "pca"), k=k))
    assert not os.path.exists(tmp_path / "pca")


def test_missing_input_fails_clearly(spark, tmp_path):
    with pytest.raises(JobInputError, match="does not exist"):
        run_pca(spark, PcaArgs(input=str(tmp_path / "nowhere"), output=str(tmp_path / "pca")))
