"""FeatureStats and PcaModel (plain numpy): statistics equal to numpy's, combine/subtract equal to the
statistics of the concatenation, stability far from the origin, and PCA equal to numpy's SVD."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from pca_reference import assert_same_pca, mostly_zero_rows

from benchmarks.pca_accuracy import reference_pca
from fruits_spark.covariance import FeatureStats, PcaModel, combine_tree

ROWS, DIM = 90, 24


@pytest.fixture
def rows() -> np.ndarray:
    rng = np.random.default_rng(11)
    return (rng.normal(size=(ROWS, DIM)) @ rng.normal(size=(DIM, DIM)) + 3).astype(np.float32)


def assert_same_stats(actual: FeatureStats, expected: FeatureStats) -> None:
    assert actual.count == expected.count
    np.testing.assert_allclose(actual.mean, expected.mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(actual.scatter, expected.scatter, rtol=1e-10, atol=1e-9)


def test_stats_of_rows_are_numpys_mean_and_covariance(rows):
    stats = FeatureStats.of_rows(rows)
    assert stats.count == ROWS and stats.mean.dtype == stats.scatter.dtype == np.float64
    np.testing.assert_allclose(stats.mean, rows.astype(np.float64).mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(
        stats.covariance, np.cov(rows.astype(np.float64), rowvar=False), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("cuts", [[0], [1], [45], [89], [10, 50, 51], [0, 0, 30]])
def test_combined_parts_equal_the_stats_of_the_concatenation(rows, cuts):
    parts = [FeatureStats.of_rows(part) for part in np.split(rows, cuts)]
    whole = FeatureStats.of_rows(rows)
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.combine(part)
    assert_same_stats(combined, whole)
    assert_same_stats(combine_tree(parts), whole)


@pytest.mark.parametrize(("removed", "kept"), [
    (slice(0, 1), slice(1, None)), (slice(0, 30), slice(30, None)), (slice(60, None), slice(0, 60)),
    (slice(0, ROWS - 1), slice(ROWS - 1, None)),
])
def test_subtracting_a_part_leaves_the_stats_of_the_rest(rows, removed, kept):
    whole = FeatureStats.of_rows(rows)
    assert_same_stats(whole.subtract(FeatureStats.of_rows(rows[removed])), FeatureStats.of_rows(rows[kept]))


def test_subtracting_everything_or_nothing_and_too_much(rows):
    whole = FeatureStats.of_rows(rows)
    assert_same_stats(whole.subtract(whole), FeatureStats.empty(DIM))
    assert_same_stats(whole.subtract(FeatureStats.empty(DIM)), whole)
    with pytest.raises(ValueError, match="cannot remove 90 rows from statistics of 30"):
        FeatureStats.of_rows(rows[:30]).subtract(whole)


def test_combine_then_subtract_is_the_identity(rows):
    base, added = FeatureStats.of_rows(rows[:70]), FeatureStats.of_rows(rows[70:])
    assert_same_stats(base.combine(added).subtract(added), base)


def test_stats_stay_exact_far_from_the_origin():
    """Rows around 1e6 with unit spread: the centred formulas keep the covariance, E[x^2]-E[x]^2 loses it."""
    rng = np.random.default_rng(5)
    rows = 1e6 + rng.normal(size=(2000, 4))
    expected = np.cov(rows, rowvar=False)
    halves = FeatureStats.of_rows(rows[:1000]).combine(FeatureStats.of_rows(rows[1000:]))
    np.testing.assert_allclose(halves.covariance, expected, rtol=1e-9, atol=1e-9)
    naive = (rows.T @ rows - len(rows) * np.outer(rows.mean(0), rows.mean(0))) / (len(rows) - 1)
    assert np.abs(naive - expected).max() > 1e-3  # what the formula avoids


def test_mismatched_dimensions_and_too_few_rows_are_refused(rows):
    with pytest.raises(ValueError, match="24-d and 3-d"):
        FeatureStats.of_rows(rows).combine(FeatureStats.empty(3))
    with pytest.raises(ValueError, match="at least 2 rows"):
        _ = FeatureStats.of_rows(rows[:1]).covariance
    with pytest.raises(ValueError, match="2-d"):
        FeatureStats.of_rows(rows[0])


def test_stats_round_trip_through_bytes_and_refuse_other_versions(rows):
    stats = FeatureStats.of_rows(rows)
    again = FeatureStats.from_bytes(stats.to_bytes())
    assert again.count == stats.count
    assert np.array_equal(again.mean, stats.mean) and np.array_equal(again.scatter, stats.scatter)
    unversioned = io.BytesIO()
    np.savez(unversioned, count=1)
    with pytest.raises(ValueError, match="format version -1, this code reads version 1"):
        FeatureStats.from_bytes(unversioned.getvalue())


@pytest.mark.parametrize("data", ["dense", "mostly_zero_rank_deficient"])
def test_fit_matches_numpys_svd(rows, data):
    matrix = rows if data == "dense" else mostly_zero_rows(40, 120)  # 40 rows < 120 dims
    k = 8
    model = PcaModel.fit(FeatureStats.of_rows(matrix), k)
    assert model.components.shape == (k, matrix.shape[1]) and model.count == len(matrix)
    assert_same_pca(model.explained_variance_ratio, model.total_variance, model.components,
                    model.project(matrix), matrix)
    np.testing.assert_allclose(model.explained_variance, reference_pca(matrix, k).eigenvalues[:k], rtol=1e-9)


def test_fit_is_deterministic_with_the_largest_entry_of_each_component_positive(rows):
    stats = FeatureStats.of_rows(rows)
    model = PcaModel.fit(stats, 5)
    largest = model.components[np.arange(5), np.abs(model.components).argmax(axis=1)]
    assert (largest > 0).all()
    assert np.array_equal(PcaModel.fit(stats, 5).components, model.components)


def test_projection_is_float32_and_model_round_trips(rows):
    model = PcaModel.fit(FeatureStats.of_rows(rows), 3, weights_sha256="ab" * 32)
    projected = model.project(rows)
    assert projected.dtype == np.float32 and projected.shape == (ROWS, 3)
    again = PcaModel.from_bytes(model.to_bytes())
    assert np.array_equal(again.project(rows), projected)
    assert (again.k, again.count, again.weights_sha256, again.total_variance) == (3, ROWS, "ab" * 32,
                                                                                   model.total_variance)
    description = json.loads(model.describe_json())
    assert description["k"] == 3 and description["input_dim"] == DIM and description["rows"] == ROWS
    np.testing.assert_allclose(description["explained_variance_ratio"], model.explained_variance_ratio)
    assert PcaModel.from_bytes(PcaModel.fit(FeatureStats.of_rows(rows), 1).to_bytes()).weights_sha256 is None


def test_k_outside_the_dimension_is_refused(rows):
    with pytest.raises(ValueError, match="between 1 and the dimension 24"):
        PcaModel.fit(FeatureStats.of_rows(rows), DIM + 1)
