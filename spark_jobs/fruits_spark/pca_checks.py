"""The PCA job's self-checks: a fitted model is recomputed another way before anything is published.

Each check compares two independently obtained numbers, scaled by the total variance of the features
(so the limits mean the same for any data), and ``enforce`` raises ``PcaCheckError`` (the job exits
non-zero, no model or report is written) when one fails:

- ``components_orthonormal``: the k components are orthonormal;
- ``eigen_equation``: ``cov @ v = lambda v`` holds for every component (the basis is made of eigenvectors
  with the reported variances);
- ``leading_components``: the covariance with the k components removed has no direction of variance above
  the k-th eigenvalue (a power-iteration lower bound of its largest eigenvalue, plain matrix-vector
  products, no LAPACK): the components are the *leading* ones;
- ``projected_variance`` / ``projected_covariance`` / ``projected_mean`` / ``projected_rows``: the
  statistics of the written ``pca`` table, read back, are the eigenvalues on the diagonal, zero elsewhere,
  a zero mean and every row (the Rayleigh quotients of the published vectors). The stored values are
  rounded (relative error at most ``u``, ``fruits_spark.pca_storage``), which moves a column mean by at
  most ``u`` sqrt(lambda_j) and a covariance entry by at most (2u + u^2) sqrt(lambda_i lambda_j), both
  within that bound times the total variance (resp. its square root): the limits add it;
- ``total_variance``: the trace of the covariance equals the sum of the per-column variances computed
  separately by Spark's own ``Summarizer`` in the JVM.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fruits_spark.covariance import FeatureStats, PcaModel

RELATIVE_LIMIT = 1e-5  # of the total variance; float32 projections are accurate to ~1e-7 of it
EXACT_LIMIT = 1e-9  # float64 algebra on the driver: orthonormality, eigen equation
POWER_ITERATIONS = 100


class PcaCheckError(RuntimeError):
    """The fitted PCA disagrees with an independent recomputation: it must not be published."""


@dataclass(frozen=True)
class SelfCheck:
    """One comparison: ``observed`` (a scaled error) must not exceed ``limit``."""

    name: str
    observed: float
    limit: float

    @property
    def passed(self) -> bool:
        return bool(self.observed <= self.limit)  # a NaN error fails


def _scale(model: PcaModel) -> float:
    return model.total_variance if model.total_variance > 0 else 1.0


def _deflated_lower_bound(covariance: np.ndarray, model: PcaModel) -> float:
    """A lower bound of the largest eigenvalue of ``covariance`` without the model's components."""
    basis = model.components.T
    deflated = covariance - (basis * model.explained_variance) @ basis.T
    vector = np.random.default_rng(0).standard_normal(covariance.shape[0])
    for _ in range(POWER_ITERATIONS):
        vector = deflated @ vector
        norm = np.linalg.norm(vector)
        if norm == 0:
            return 0.0
        vector /= norm
    return float(vector @ deflated @ vector)  # a Rayleigh quotient never exceeds the largest eigenvalue


def model_checks(model: PcaModel, stats: FeatureStats) -> list[SelfCheck]:
    """Checks of the fitted model against the covariance it came from (on the driver, no data pass)."""
    covariance, scale = stats.covariance, _scale(model)
    gram = model.components @ model.components.T
    residual = covariance @ model.components.T - model.components.T * model.explained_variance
    excess = _deflated_lower_bound(covariance, model) - model.explained_variance[-1]
    return [
        SelfCheck("components_orthonormal", float(np.abs(gram - np.eye(model.k)).max()), EXACT_LIMIT),
        SelfCheck("eigen_equation", float(np.abs(residual).max() / scale), EXACT_LIMIT),
        SelfCheck("leading_components", max(excess, 0.0) / scale, RELATIVE_LIMIT),
    ]


def projection_checks(model: PcaModel, projected: FeatureStats,
                      unit_roundoff: float = 0.0) -> list[SelfCheck]:
    """Checks of the statistics of the projected rows (``pca`` column) against the model, stored with a
    relative rounding error of at most ``unit_roundoff``."""
    scale = _scale(model)
    covariance_limit = RELATIVE_LIMIT + 2 * unit_roundoff + unit_roundoff**2
    mean_limit = RELATIVE_LIMIT + unit_roundoff
    if projected.count < 2:
        return [SelfCheck("projected_rows", float(abs(projected.count - model.count)), 0.0)]
    covariance = projected.covariance
    off_diagonal = covariance - np.diag(np.diag(covariance))
    return [
        SelfCheck("projected_rows", float(abs(projected.count - model.count)), 0.0),
        SelfCheck(
            "projected_variance",
            float(np.abs(np.diag(covariance) - model.explained_variance).max() / scale),
            covariance_limit,
        ),
        SelfCheck("projected_covariance", float(np.abs(off_diagonal).max() / scale), covariance_limit),
        SelfCheck("projected_mean", float(np.abs(projected.mean).max() / np.sqrt(scale)), mean_limit),
    ]


def total_variance_check(model: PcaModel, column_variances: np.ndarray) -> SelfCheck:
    """The model's total variance (the covariance trace) against separately computed column variances."""
    error = abs(float(np.sum(column_variances)) - model.total_variance) / _scale(model)
    return SelfCheck("total_variance", error, RELATIVE_LIMIT)


def enforce(checks: list[SelfCheck]) -> dict[str, dict]:
    """``{name: {observed, limit}}`` of every check; ``PcaCheckError`` naming each failed one."""
    failed = [check for check in checks if not check.passed]
    if failed:
        details = "; ".join(f"{c.name}: error {c.observed:.3g} > limit {c.limit:.3g}" for c in failed)
        raise PcaCheckError(f"the PCA failed {len(failed)} self-check(s), nothing published: {details}")
    return {check.name: {"observed": check.observed, "limit": check.limit} for check in checks}
