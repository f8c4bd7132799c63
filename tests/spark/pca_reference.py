"""The comparisons the PCA issue asks for, against numpy's SVD (``benchmarks.pca_accuracy``): explained
variance within 1e-6, the same subspace, the same projections up to sign; and mostly-zero test rows."""
from __future__ import annotations

import numpy as np

from benchmarks.pca_accuracy import errors_against_numpy


def assert_same_pca(ratios, total_variance: float, components: np.ndarray, projection: np.ndarray,
                    rows: np.ndarray) -> None:
    errors = errors_against_numpy(rows, ratios, total_variance, components, projection)
    assert errors["explained_variance_ratio_error"] <= 1e-6, errors
    assert errors["total_variance_relative_error"] <= 1e-9, errors
    assert errors["largest_principal_angle_rad"] <= 1e-6, errors
    assert errors["projection_error"] <= 1e-5, errors


def mostly_zero_rows(rows: int, dim: int, seed: int = 3) -> np.ndarray:
    """Non-negative float32 rows, 90 % exact zeros (like ReLU6 features), fewer rows than dimensions."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 6, size=(rows, dim)) * (rng.random((rows, dim)) < 0.1)
    return values.astype(np.float32)
