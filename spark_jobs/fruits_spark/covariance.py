"""Exact PCA from sufficient statistics, in plain numpy (no Spark): ``FeatureStats`` and ``PcaModel``.

``FeatureStats`` is what a set of rows contributes to a covariance: the row count ``n``, the mean ``m``
and the scatter matrix ``S = sum_i (x_i - m)(x_i - m)^T``, all float64. Statistics of disjoint row sets
combine exactly (and a subset's can be taken out again), so a covariance over many partitions, or over
yesterday's rows plus tonight's, never re-reads the rows.

Why these formulas are numerically stable:

- ``of_rows`` centres the batch on its own mean (computed in float64 with numpy's pairwise summation)
  *before* the one matrix product ``C^T C``. The textbook shortcut ``sum x x^T / n - m m^T``
  (``E[x^2] - E[x]^2``) subtracts two large, nearly equal numbers whenever the mean is large against the
  spread, and loses up to all significant digits; the centred product only adds small non-negative terms
  on the diagonal, so its relative error is a few float64 ulps times the batch size.
- ``combine`` is the pairwise update of Chan, Golub and LeVeque (1979, "Updating formulae and a pairwise
  algorithm for computing sample variances"): ``S = S_a + S_b + d d^T n_a n_b / n`` with ``d = m_b - m_a``.
  Every term is a centred quantity of its own part, so no cancellation happens either; combined as a
  balanced tree (``combine_tree``, Spark's ``treeReduce``), the error grows with log(parts), not parts.
- ``subtract`` inverts ``combine``. It is exact algebra, but it is a difference: removing a part that
  holds almost all of the rows leaves a remainder whose scatter is the difference of two close matrices.
  Removing a few images from a large snapshot (the intended use) is well conditioned.

``PcaModel.fit`` takes ``numpy.linalg.eigh`` of the d x d covariance: LAPACK's symmetric eigensolver from
the OpenBLAS that numpy's wheel bundles, the same code on every machine (unlike Spark ML's PCA, whose
LAPACK depends on which native library netlib finds at run time).
"""
from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STATS_FORMAT_VERSION = 1
MODEL_FORMAT_VERSION = 1
PCA_METHOD = "numpy.linalg.eigh of the float64 covariance from per-partition centred sufficient statistics"


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npz_arrays(data: bytes, kind: str, version: int) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    found = int(arrays.get("format_version", -1))
    if found != version:
        raise ValueError(f"{kind} has format version {found}, this code reads version {version}")
    return arrays


@dataclass(frozen=True, eq=False)
class FeatureStats:
    """Row count, float64 mean (d,) and float64 scatter (d, d) = sum of (x - mean)(x - mean)^T."""

    count: int
    mean: np.ndarray
    scatter: np.ndarray

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    @classmethod
    def empty(cls, dim: int) -> FeatureStats:
        """The statistics of no rows: the identity of ``combine``."""
        return cls(0, np.zeros(dim), np.zeros((dim, dim)))

    @classmethod
    def of_rows(cls, rows: np.ndarray) -> FeatureStats:
        """Statistics of an (n, d) batch: exact float64 mean, then one product of the centred rows."""
        rows = np.asarray(rows)
        if rows.ndim != 2:
            raise ValueError(f"rows must be a 2-d (n, d) array, got shape {rows.shape}")
        if rows.shape[0] == 0:
            return cls.empty(rows.shape[1])
        centred = rows.astype(np.float64)  # a copy: the caller's rows are never modified
        mean = centred.mean(axis=0)
        centred -= mean
        return cls(rows.shape[0], mean, centred.T @ centred)  # numpy sees A^T A: a symmetric rank-k update

    def _check_dim(self, other: FeatureStats) -> None:
        if other.dim != self.dim:
            raise ValueError(f"statistics of {self.dim}-d and {other.dim}-d rows cannot be mixed")

    def combine(self, other: FeatureStats) -> FeatureStats:
        """The statistics of both row sets together (Chan, Golub and LeVeque's pairwise formula)."""
        self._check_dim(other)
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        count = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / count)
        scatter = self.scatter + other.scatter + np.outer(delta, delta) * (self.count * other.count / count)
        return FeatureStats(count, mean, scatter)

    def subtract(self, part: FeatureStats) -> FeatureStats:
        """The statistics of these rows without ``part``'s (a subset of them): the inverse of ``combine``."""
        self._check_dim(part)
        if part.count > self.count:
            raise ValueError(f"cannot remove {part.count} rows from statistics of {self.count} rows")
        if part.count == 0:
            return self
        rest = self.count - part.count
        if rest == 0:
            return FeatureStats.empty(self.dim)
        away = self.mean - part.mean  # the whole's mean minus the part's
        mean = self.mean + away * (part.count / rest)
        delta = part.mean - mean
        scatter = self.scatter - part.scatter - np.outer(delta, delta) * (rest * part.count / self.count)
        return FeatureStats(rest, mean, (scatter + scatter.T) / 2)

    @property
    def covariance(self) -> np.ndarray:
        """The sample covariance (ddof=1), like ``numpy.cov(rows, rowvar=False)``."""
        if self.count < 2:
            raise ValueError(f"a covariance needs at least 2 rows, these statistics have {self.count}")
        return self.scatter / (self.count - 1)

    def to_bytes(self) -> bytes:
        """A versioned ``.npz`` (uncompressed: a 1280-d scatter is 13 MB of incompressible float64)."""
        return _npz_bytes(format_version=STATS_FORMAT_VERSION, count=self.count, mean=self.mean,
                          scatter=self.scatter)

    @classmethod
    def from_bytes(cls, data: bytes) -> FeatureStats:
        arrays = _npz_arrays(data, "feature statistics", STATS_FORMAT_VERSION)
        return cls(int(arrays["count"]), arrays["mean"], arrays["scatter"])


def combine_tree(parts: Sequence[FeatureStats]) -> FeatureStats:
    """All ``parts`` combined pairwise as a balanced tree (rounding grows with log(len(parts)))."""
    if not parts:
        raise ValueError("combine_tree needs at least one FeatureStats")
    level = list(parts)
    while len(level) > 1:
        level = [level[i].combine(level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


@dataclass(frozen=True, eq=False)
class PcaModel:
    """The k leading principal axes of a covariance: ``project`` maps d-dim rows to k float32 values."""

    k: int
    mean: np.ndarray  # (d,) float64
    components: np.ndarray  # (k, d) float64, orthonormal rows, largest variance first
    explained_variance: np.ndarray  # (k,) eigenvalues of the covariance: the variance along each component
    total_variance: float  # trace of the covariance: the sum of all d eigenvalues
    count: int  # rows the statistics came from
    weights_sha256: str | None = None  # the featurizer weights the rows came from
    format_version: int = MODEL_FORMAT_VERSION

    @property
    def input_dim(self) -> int:
        return self.mean.shape[0]

    @property
    def explained_variance_ratio(self) -> np.ndarray:
        """Each component's share of the total variance (zeros when the rows do not vary at all)."""
        if self.total_variance <= 0:
            return np.zeros(self.k)
        return self.explained_variance / self.total_variance

    @classmethod
    def fit(cls, stats: FeatureStats, k: int, weights_sha256: str | None = None) -> PcaModel:
        """The top-``k`` eigenvectors of ``stats.covariance`` (``numpy.linalg.eigh``).

        Sign convention (eigenvectors are defined up to sign): each component's entry of largest magnitude
        is positive, so the same statistics always give the same model.
        """
        if not 1 <= k <= stats.dim:
            raise ValueError(f"k={k} must be between 1 and the dimension {stats.dim}")
        covariance = stats.covariance
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending
        components = eigenvectors[:, ::-1][:, :k].T.copy()
        largest = np.abs(components).argmax(axis=1)
        components *= np.sign(components[np.arange(k), largest])[:, None]
        variance = np.clip(eigenvalues[::-1][:k], 0.0, None)  # rounding can leave -1e-17 for a zero one
        return cls(k, stats.mean.copy(), components, variance, float(np.trace(covariance)), stats.count,
                   weights_sha256)

    def project(self, rows: np.ndarray) -> np.ndarray:
        """(n, d) rows -> (n, k) float32 coordinates along the components (centred in float64 first)."""
        centred = np.asarray(rows, dtype=np.float64) - self.mean
        return (centred @ self.components.T).astype(np.float32)

    def to_bytes(self) -> bytes:
        """A versioned ``.npz`` holding every field (no pickles)."""
        return _npz_bytes(format_version=self.format_version, k=self.k, mean=self.mean,
                          components=self.components, explained_variance=self.explained_variance,
                          total_variance=self.total_variance, count=self.count,
                          weights_sha256=self.weights_sha256 or "")

    @classmethod
    def from_bytes(cls, data: bytes) -> PcaModel:
        arrays = _npz_arrays(data, "PCA model", MODEL_FORMAT_VERSION)
        return cls(
            int(arrays["k"]),
            arrays["mean"],
            arrays["components"],
            arrays["explained_variance"],
            float(arrays["total_variance"]),
            int(arrays["count"]),
            str(arrays["weights_sha256"]) or None,
        )

    def describe(self) -> dict:
        """What the model is, as JSON-ready values (``model.json`` next to ``model.npz``)."""
        return {
            "format_version": self.format_version,
            "method": PCA_METHOD,
            "k": self.k,
            "input_dim": self.input_dim,
            "rows": self.count,
            "explained_variance": self.explained_variance.tolist(),
            "explained_variance_ratio": self.explained_variance_ratio.tolist(),
            "total_variance": self.total_variance,
            "weights_sha256": self.weights_sha256,
            "files": {
                "model.npz": "mean (d,), components (k, d) float64; project(x) = (x - mean) @ components.T",
                "stats.npz": "count, mean (d,), scatter (d, d) float64 of the rows fitted on",
            },
        }

    def describe_json(self) -> str:
        return json.dumps(self.describe(), indent=2) + "\n"
