"""How far a PCA is from numpy's SVD of the same rows: the measure of accuracy shared by the benchmarks
(the exact PCA job and Spark ML's PCA on real features) and the tests (which assert on it).

The reference is ``numpy.linalg.svd`` of the centred float64 rows: no covariance is formed, so it is
computed another way than the job's ``eigh`` of the covariance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReferencePca:
    eigenvalues: np.ndarray  # all d, descending: the variance along each principal axis (ddof=1)
    components: np.ndarray  # (k, d)
    projection: np.ndarray  # (n, k) float64

    @property
    def ratios(self) -> np.ndarray:
        return self.eigenvalues / self.eigenvalues.sum()


def reference_pca(rows: np.ndarray, k: int) -> ReferencePca:
    """numpy's PCA of ``rows`` (n, d): SVD of the centred float64 rows."""
    centred = rows.astype(np.float64)
    centred -= centred.mean(axis=0)
    _, singular, right = np.linalg.svd(centred, full_matrices=False)
    eigenvalues = np.zeros(rows.shape[1])
    eigenvalues[: singular.size] = singular**2 / (rows.shape[0] - 1)
    return ReferencePca(eigenvalues, right[:k], centred @ right[:k].T)


def largest_principal_angle(a: np.ndarray, b: np.ndarray) -> float:
    """The largest principal angle (radians) between the row spaces of two (k, d) orthonormal bases."""
    cosines = np.linalg.svd(a @ b.T, compute_uv=False)
    return float(np.arccos(np.clip(cosines.min(), -1.0, 1.0)))


def errors_against_numpy(rows: np.ndarray, ratios, total_variance: float | None, components: np.ndarray,
                         projection: np.ndarray | None) -> dict[str, float]:
    """Errors of a PCA of ``rows`` against ``reference_pca``: explained-variance ratios (absolute), total
    variance (relative), the subspace (largest principal angle, radians) and, when given, the projections
    up to each column's sign (relative to the largest component's standard deviation)."""
    k = components.shape[0]
    reference = reference_pca(rows, k)
    errors = {
        "explained_variance_ratio_error": float(np.abs(np.asarray(ratios) - reference.ratios[:k]).max()),
        "largest_principal_angle_rad": largest_principal_angle(components, reference.components),
        "total_explained_variance": float(np.sum(ratios)),
        "numpy_total_explained_variance": float(reference.ratios[:k].sum()),
    }
    if total_variance is not None:
        errors["total_variance_relative_error"] = float(abs(total_variance / reference.eigenvalues.sum() - 1))
    if projection is not None:
        signs = np.sign(np.sum(projection * reference.projection, axis=0))
        error = np.abs(projection * signs - reference.projection).max()
        errors["projection_error"] = float(error / np.sqrt(reference.eigenvalues[0]))
    return errors
