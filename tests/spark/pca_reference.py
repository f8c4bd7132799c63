"""The reference PCA the tests compare against: numpy's SVD of the centred rows (no covariance formed),
and the three comparisons the PCA issue asks for: explained variance, subspace, projections up to sign."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReferencePca:
    eigenvalues: np.ndarray  # every one, descending: variance along each principal axis (ddof=1)
    components: np.ndarray  # (k, d)
    projection: np.ndarray  # (n, k) float64

    @property
    def ratios(self) -> np.ndarray:
        return self.eigenvalues / self.eigenvalues.sum()


def reference_pca(rows: np.ndarray, k: int) -> ReferencePca:
    centred = rows.astype(np.float64) - rows.astype(np.float64).mean(axis=0)
    _, singular, right = np.linalg.svd(centred, full_matrices=False)
    eigenvalues = np.zeros(rows.shape[1])
    eigenvalues[: singular.size] = singular**2 / (rows.shape[0] - 1)
    return ReferencePca(eigenvalues, right[:k], centred @ right[:k].T)


def largest_principal_angle(a: np.ndarray, b: np.ndarray) -> float:
    """The largest principal angle (radians) between the row spaces of two (k, d) orthonormal bases."""
    cosines = np.linalg.svd(a @ b.T, compute_uv=False)
    return float(np.arccos(np.clip(cosines.min(), -1.0, 1.0)))


def assert_same_pca(ratios, total_variance: float, components: np.ndarray, projection: np.ndarray,
                    rows: np.ndarray) -> None:
    """Explained variance within 1e-6 of numpy's, same subspace, same projections up to each column's sign."""
    k = components.shape[0]
    reference = reference_pca(rows, k)
    np.testing.assert_allclose(ratios, reference.ratios[:k], rtol=0, atol=1e-6)
    np.testing.assert_allclose(total_variance, reference.eigenvalues.sum(), rtol=1e-9)
    assert largest_principal_angle(components, reference.components) < 1e-6
    signs = np.sign(np.sum(projection * reference.projection, axis=0))
    scale = np.sqrt(reference.eigenvalues[0])
    np.testing.assert_allclose(projection * signs, reference.projection, rtol=0, atol=1e-5 * scale)


def mostly_zero_rows(rows: int, dim: int, seed: int = 3) -> np.ndarray:
    """Non-negative float32 rows, 90 % exact zeros (like ReLU6 features), fewer rows than dimensions."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 6, size=(rows, dim)) * (rng.random((rows, dim)) < 0.1)
    return values.astype(np.float32)
