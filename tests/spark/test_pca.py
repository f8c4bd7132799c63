"""The PCA job in local Spark: shapes, explained variance / subspace / projections equal to numpy's on
synthetic and real features, report, model reuse, self-checks that catch a wrong basis, errors."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from pca_reference import assert_same_pca, mostly_zero_rows

from fruits_spark.covariance import PcaModel
from fruits_spark.errors import JobInputError
from fruits_spark.pca_checks import PcaCheckError
from fruits_spark.pca_job import PcaArgs, compute_stats, load_model, load_stats, run_pca
from fruits_spark.pca_storage import UNIT_ROUNDOFF, round_to_stored_precision

DIM = 16
ROWS = 40


def write_features(spark, uri: str, matrix, sha: str | list[str] = "abc", partitions: int = 3) -> None:
    shas = [sha] * len(matrix) if isinstance(sha, str) else sha
    rows = [(f"file:/x/c{i % 3}/{i}.jpg", f"c{i % 3}", list(map(float, vector)), shas[i])
            for i, vector in enumerate(matrix)]
    spark.createDataFrame(rows, "path string, label string, features array<float>, weights_sha256 string") \
        .repartition(partitions).write.mode("overwrite").parquet(uri)


def read_table(spark, uri: str) -> tuple[list[str], np.ndarray]:
    rows = spark.read.parquet(uri).collect()
    return [row.path for row in rows], np.asarray([row.pca for row in rows], dtype=np.float64)


def read_features(spark, uri: str, paths: list[str]) -> np.ndarray:
    by_path = {row.path: row.features for row in spark.read.parquet(uri).collect()}
    return np.asarray([by_path[path] for path in paths], dtype=np.float32)


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
    args = PcaArgs(
        input=low_rank_features[0], output=str(out / "pca"), k=4, report=str(out / "pca_report.json")
    )
    return args, run_pca(spark, args)


def assert_job_matches_numpy(spark, args: PcaArgs, report: dict, features_uri: str) -> None:
    """The written projections, the saved model and the report against numpy's SVD of the same rows."""
    paths, projection = read_table(spark, args.output)
    rows = read_features(spark, features_uri, paths)
    model = load_model(spark, args.model_uri)
    assert_same_pca(
        report["explained_variance"], report["total_variance"], model.components, projection, rows
    )


def test_output_has_k_float_components_per_row(spark, pca_run):
    args, _ = pca_run
    table = spark.read.parquet(args.output)
    assert dict(table.dtypes) == {"path": "string", "label": "string", "pca": "array<float>"}
    rows = table.collect()
    assert len(rows) == ROWS
    assert {len(row.pca) for row in rows} == {args.k}


def test_values_are_stored_at_float16_precision_byte_stream_split_and_zstd(spark, pca_run):
    args, report = pca_run
    _, projection = read_table(spark, args.output)
    np.testing.assert_array_equal(projection, projection.astype(np.float16))  # exactly float16 values
    assert report["pca_unit_roundoff"] == UNIT_ROUNDOFF == 2.0**-11
    parts = sorted(Path(args.output).glob("part-*.parquet"))
    assert parts
    for part in parts:
        metadata = pq.ParquetFile(part).metadata
        for group in range(metadata.num_row_groups):
            columns = {metadata.row_group(group).column(i).path_in_schema: metadata.row_group(group).column(i)
                       for i in range(metadata.num_columns)}
            pca = columns["pca.list.element"]
            assert "BYTE_STREAM_SPLIT" in pca.encodings and pca.compression == "ZSTD"


def test_low_rank_rows_match_numpy(spark, pca_run, low_rank_features):
    args, report = pca_run
    assert_job_matches_numpy(spark, args, report, low_rank_features[0])
    cumulative = np.asarray(report["cumulative_explained_variance"])
    assert np.all(np.diff(cumulative) >= 0) and 0 < cumulative[0] and cumulative[-1] <= 1
    assert report["total_explained_variance"] == cumulative[-1] > 0.99
    _, projection = read_table(spark, args.output)
    # centred before projection; each stored value is rounded by up to UNIT_ROUNDOFF of itself
    rounding = UNIT_ROUNDOFF * np.abs(projection).max()
    np.testing.assert_allclose(projection.mean(axis=0), 0, atol=1e-4 + rounding)


def test_mostly_zero_rows_with_fewer_rows_than_dimensions_match_numpy(spark, tmp_path):
    matrix = mostly_zero_rows(60, 200)  # rank <= 59 < 200: the rank-deficient case
    uri = str(tmp_path / "features")
    write_features(spark, uri, matrix, partitions=4)
    args = PcaArgs(input=uri, output=str(tmp_path / "pca"), k=10)
    assert_job_matches_numpy(spark, args, run_pca(spark, args), uri)


def test_real_features_match_numpy(spark, real_features, tmp_path):
    args = PcaArgs(input=real_features, output=str(tmp_path / "pca"), k=20)
    report = run_pca(spark, args)
    assert (report["images"], report["input_dim"]) == (120, 1280)
    assert_job_matches_numpy(spark, args, report, real_features)


def test_report_has_every_field_and_is_written(pca_run):
    args, report = pca_run
    assert {"images", "k", "input_dim", "explained_variance", "cumulative_explained_variance",
            "total_explained_variance", "total_variance", "features_bytes", "pca_bytes", "storage_ratio",
            "weights_sha256", "fit_s", "project_s", "check_s", "model_uri", "method", "model_version",
            "self_checks"} <= report.keys()
    assert (report["images"], report["k"], report["input_dim"], report["weights_sha256"]) == (
        ROWS,
        4,
        DIM,
        "abc",
    )
    assert (report["model_uri"], report["model_version"]) == (args.model_uri, 1)
    assert "eigh" in report["method"]
    assert all(check["observed"] <= check["limit"] for check in report["self_checks"].values())
    assert json.loads(Path(args.report).read_text()) == report


def test_saved_model_projects_new_data_like_the_job(spark, pca_run, low_rank_features):
    args, report = pca_run
    assert args.model_uri.endswith("pca_model")
    assert sorted(p.name for p in Path(args.model_uri).iterdir() if not p.name.endswith(".crc")) == [
        "model.json", "model.npz", "stats.npz"]
    description = json.loads((Path(args.model_uri) / "model.json").read_text())
    assert (description["k"], description["rows"], description["input_dim"]) == (4, ROWS, DIM)
    np.testing.assert_allclose(description["explained_variance_ratio"], report["explained_variance"])
    model = load_model(spark, args.model_uri)
    paths, projection = read_table(spark, args.output)
    again = model.project(read_features(spark, low_rank_features[0], paths))
    np.testing.assert_array_equal(round_to_stored_precision(again), projection.astype(np.float32))


def test_saved_stats_refit_with_new_rows_like_a_fit_on_all_rows(spark, pca_run, low_rank_features, tmp_path):
    args, _ = pca_run
    new_rows = np.random.default_rng(1).normal(size=(10, DIM)).astype(np.float32) + 10
    new_uri = str(tmp_path / "new_features")
    write_features(spark, new_uri, new_rows)
    refit = PcaModel.fit(load_stats(spark, args.model_uri).combine(compute_stats(
        spark.read.parquet(new_uri), new_uri, DIM)), 4)
    every_row = np.concatenate([low_rank_features[1], new_rows])
    assert refit.count == ROWS + 10
    assert_same_pca(refit.explained_variance_ratio, refit.total_variance, refit.components,
                    refit.project(every_row), every_row)


def _skip_leading_component(fit):
    """A fit that keeps true eigenvectors but drops the leading one (every Rayleigh quotient holds)."""
    def wrong(stats, k, weights_sha256=None):
        right = fit(stats, k + 1, weights_sha256)
        return PcaModel(
            k,
            right.mean,
            right.components[1:],
            right.explained_variance[1:],
            right.total_variance,
            right.count,
            weights_sha256,
        )
    return wrong


def _rotated_basis(fit):
    """A fit whose components are rotated within the top-k subspace, reporting the true eigenvalues."""
    def wrong(stats, k, weights_sha256=None):
        right = fit(stats, k, weights_sha256)
        rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(k, k)))
        return PcaModel(k, right.mean, rotation @ right.components, right.explained_variance,
                        right.total_variance, right.count, weights_sha256)
    return wrong


@pytest.mark.parametrize(("corrupt", "failed_check"), [
    (_skip_leading_component, "leading_components"),
    (_rotated_basis, "projected_variance"),
])
def test_a_wrong_basis_is_caught_and_nothing_is_published(spark, low_rank_features, tmp_path, monkeypatch,
                                                          corrupt, failed_check):
    monkeypatch.setattr(PcaModel, "fit", staticmethod(corrupt(PcaModel.fit)))
    args = PcaArgs(input=low_rank_features[0], output=str(tmp_path / "pca"), k=2,
                   report=str(tmp_path / "pca_report.json"))
    with pytest.raises(PcaCheckError, match=f"self-check.*{failed_check}: error"):
        run_pca(spark, args)
    assert not os.path.exists(args.model_uri) and not os.path.exists(args.report)


def _parquet_bytes(folder: str) -> int:
    return sum(
        f.stat().st_size for f in Path(folder).rglob("*") if f.is_file() and not f.name.endswith(".crc")
    )


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
    (1, 1, "at least 2"),
])
def test_impossible_inputs_fail_with_a_clear_message(spark, tmp_path, rows, k, message):
    uri = str(tmp_path / "features")
    write_features(spark, uri, np.ones((rows, DIM), np.float32))
    with pytest.raises(JobInputError, match=message):
        run_pca(spark, PcaArgs(input=uri, output=str(tmp_path / "pca"), k=k))
    assert not os.path.exists(tmp_path / "pca")


def test_ragged_features_fail_with_every_length_seen(spark, tmp_path):
    uri = str(tmp_path / "features")
    write_features(spark, uri, [np.ones(DIM)] * 10 + [np.ones(DIM - 1)] + [np.ones(DIM + 2)], partitions=1)
    with pytest.raises(JobInputError, match=r"differing lengths: \[15, 16, 18\]"):
        run_pca(spark, PcaArgs(input=uri, output=str(tmp_path / "pca"), k=2))
    assert not os.path.exists(tmp_path / "pca")


def test_features_of_several_weights_files_are_refused(spark, tmp_path):
    uri = str(tmp_path / "features")
    write_features(spark, uri, np.eye(DIM, dtype=np.float32), sha=["a"] * 8 + ["b"] * 8)
    with pytest.raises(JobInputError, match="2 different weights files"):
        run_pca(spark, PcaArgs(input=uri, output=str(tmp_path / "pca"), k=2))


def test_missing_input_fails_clearly(spark, tmp_path):
    with pytest.raises(JobInputError, match="does not exist"):
        run_pca(spark, PcaArgs(input=str(tmp_path / "nowhere"), output=str(tmp_path / "pca")))
