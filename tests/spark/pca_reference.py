"""The comparisons the PCA issue asks for, against numpy's SVD (``benchmarks.pca_accuracy``): explained
variance within 1e-6, the same subspace, the same projections up to sign (within their stored precision,
``fruits_spark.pca_storage``); and mostly-zero test rows."""
from __future__ import annotations

import numpy as np

from benchmarks.pca_accuracy import errors_against_numpy
from fruits_spark.pca_storage import UNIT_ROUNDOFF


def assert_same_pca(ratios, total_variance: float, components: np.ndarray, projection: np.ndarray,
                    rows: np.ndarray) -> None:
    errors = errors_against_numpy(rows, ratios, total_variance, components, projection)
    assert errors["explained_variance_ratio_error"] <= 1e-6, errors
    assert errors["total_variance_relative_error"] <= 1e-9, errors
    assert errors["largest_principal_angle_rad"] <= 1e-6, errors
    # projection_error is relative to the leading component's standard deviation; each stored value may
    # be off by UNIT_ROUNDOFF of itself on top of the float32 computation's 1e-5
    leading_std = np.sqrt(ratios[0] * total_variance)
    assert errors["projection_error"] <= 1e-5 + UNIT_ROUNDOFF * np.abs(projection).max() / leading_std, errors


def mostly_zero_rows(rows: int, dim: int, seed: int = 3) -> np.ndarray:
    """Non-negative float32 rows, 90 % exact zeros (like ReLU6 features), fewer rows than dimensions."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 6, size=(rows, dim)) * (rng.random((rows, dim)) < 0.1)
    return values.astype(np.float32)
