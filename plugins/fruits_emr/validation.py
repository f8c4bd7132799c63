"""Validation of a run's snapshot before it may be published, with its catalogue, JSON report and plots.

``validate_run`` reads what the run left in S3: the plan catalogue, the input list, the featurize step's
report and quarantine records, and the snapshot step's PCA table (every image of the snapshot) and
report. It resolves the plan's ``pending`` entries into ``featurized`` or ``quarantined`` and checks
that the snapshot accounts for every object under the input prefix exactly once: each featurized
catalogue entry has exactly one PCA row and no PCA row is unexpected; every PCA vector has ``k`` finite
values, enough variance is explained, and the variance of each published ``pca`` column
(recomputed here from the vectors) is the variance the PCA report claims for it, with uncorrelated
columns (a wrong basis fails this). When the rows have labels it also measures the held-out k-NN accuracy
of the published vectors (``fruits_emr.probe``, a stratified sample of at most 5,000 rows): information
for the reader (``probe``), not a check, as no threshold is principled for every data set. It then
writes ``catalogue.parquet`` (what the next run plans against), ``validation.json`` (every check with
name, passed, observed, expected) and the plots. Failed checks raise ``ValidationError`` *after* the
report is written, so the evidence is in S3 either way; the catalogue is only written when every check
passed. pyarrow is imported inside functions.
"""
from __future__ import annotations

import json
import logging
import math
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from fruits_emr import catalogue, plots
from fruits_emr.catalogue import FEATURIZED, PENDING, Entry
from fruits_emr.failures import PermanentFailure
from fruits_emr.incremental import read_input_list
from fruits_emr.layout import RunLayout
from fruits_emr.log_tables import validation_table
from fruits_emr.probe import probe_accuracy
from fruits_emr.s3io import prefix_size, read_json, read_parquet_prefix, write_bytes

if TYPE_CHECKING:
    import pyarrow as pa
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

log = logging.getLogger(__name__)

MAX_EXAMPLES = 20  # URIs listed in a failed check; the count is always complete
PCA_VARIANCE_LIMIT = 1e-4  # of the total variance: float32 vectors carry their variance to ~1e-7 of it
EXPLAINED_VARIANCE_PNG = "explained_variance.png"
PCA_SCATTER_PNG = "pca_scatter.png"


class ValidationError(PermanentFailure):
    """A run's outputs failed one or more checks; ``failed`` holds them, validation.json has them all."""

    def __init__(self, failed: list[Check], validation_uri: str):
        self.failed = failed
        details = "; ".join(f"{c.name} (observed {c.observed!r}, expected {c.expected!r})" for c in failed)
        super().__init__(f"{len(failed)} validation check(s) failed: {details}. Report: {validation_uri}")


@dataclass(frozen=True)
class Check:
    """One verdict of validation.json: what was seen against what the run should have produced."""

    name: str
    passed: bool
    observed: Any
    expected: Any


def _equal(name: str, observed: Any, expected: Any) -> Check:
    return Check(name, observed is not None and observed == expected, observed, expected)


def _no_uris(name: str, uris: list[str]) -> Check:
    """A check that passes when ``uris`` is empty; lists the first few offenders when it is not."""
    observed = {"count": len(uris), "examples": sorted(uris)[:MAX_EXAMPLES]}
    return Check(name, not uris, observed, {"count": 0})


@dataclass(frozen=True)
class _Vectors:
    """The ``pca`` column as arrays: per-row length (-1 for a null vector), per-row "every value is
    finite" flag, and the matrix of the rows whose length is ``k`` (in table order)."""

    lengths: np.ndarray
    finite: np.ndarray
    full_rows: np.ndarray
    matrix: np.ndarray


def _vectors(table: pa.Table, k: int) -> _Vectors:
    import pyarrow.compute as pc

    column = table.column("pca").combine_chunks()
    lengths = pc.list_value_length(column).fill_null(-1).to_numpy(zero_copy_only=False)
    values = column.flatten().to_numpy(zero_copy_only=False).astype(float)  # null element -> NaN
    parents = pc.list_parent_indices(column).to_numpy(zero_copy_only=False)
    finite = lengths >= 0
    finite[parents[~np.isfinite(values)]] = False
    full_rows = lengths == k
    return _Vectors(lengths, finite, full_rows, values[full_rows[parents]].reshape(-1, k))


def _load(missing: list[str], name: str, read, default):
    """``read()``, or ``default`` with ``name`` recorded as missing when the object/prefix is absent."""
    try:
        return read()
    except FileNotFoundError as err:
        log.warning("Output missing: %s", err)
        missing.append(name)
        return default


def _check_params(expected_images: int, k: int, min_explained_variance: float) -> None:
    if expected_images < 0:
        raise ValueError(f"expected_images must be >= 0, got {expected_images}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not 0.0 < min_explained_variance <= 1.0:
        raise ValueError(f"min_explained_variance must be in (0, 1], got {min_explained_variance}")


def _storage(s3_hook: S3Hook, layout: RunLayout, pca_report: dict) -> dict:
    """Bytes of the snapshot's feature partitions and of its PCA table in S3, and their ratio (sizes come
    from listings: features are never downloaded)."""
    partition_dirs = [d for p in pca_report.get("partitions") or [] for d in p.get("dirs", [])]
    features_bytes = sum(prefix_size(s3_hook, uri) for uri in partition_dirs)
    pca_bytes = prefix_size(s3_hook, layout.pca_uri)
    return {
        "features_bytes": features_bytes,
        "pca_bytes": pca_bytes,
        "storage_ratio": round(features_bytes / pca_bytes, 2) if features_bytes and pca_bytes else None,
        "storage_ratio_reported_by_pca": pca_report.get("storage_ratio"),
    }


def _probe(labels: list[str], vectors: _Vectors) -> dict:
    """Held-out k-NN accuracy of the labels from the published vectors (rows of length k, all finite)."""
    usable = vectors.finite[vectors.full_rows]
    full_labels = np.asarray(labels, dtype=object)[vectors.full_rows]
    return {"pca": probe_accuracy(vectors.matrix[usable], full_labels[usable])}


def _write_plots(s3_hook: S3Hook, layout: RunLayout, labels: list[str], vectors: _Vectors,
                 pca_report: dict, threshold: float) -> dict:
    """Upload the plots the data allows (a curve needs the report, a scatter 2+ finite dims)."""
    title = f"run {layout.run_key}"
    figures = {}
    explained = pca_report.get("explained_variance") or []
    if explained:
        figures[EXPLAINED_VARIANCE_PNG] = plots.explained_variance_png(explained, threshold, title)
    usable = vectors.finite[vectors.full_rows]
    if vectors.matrix.shape[1] >= 2 and usable.any():
        usable_labels = np.asarray(labels, dtype=object)[vectors.full_rows][usable]
        figures[PCA_SCATTER_PNG] = plots.pca_scatter_png(vectors.matrix[usable, :2], usable_labels, title)
    uris = {}
    for name, png in figures.items():
        uris[name] = f"{layout.plots_uri}/{name}"
        write_bytes(s3_hook, uris[name], png)
    return uris


@dataclass(frozen=True)
class _Outputs:
    """What one run left in S3; absent objects are empty and named in ``missing``."""

    plan: dict[str, Entry]  # the plan catalogue
    inputs: list[str]
    featurize_report: dict
    pca_report: dict
    pca: pa.Table  # path, label, pca
    quarantine: pa.Table  # path, reason, detail: this run's featurize step
    missing: list[str]

    def snapshot_entries(self, run_key: str) -> dict[str, Entry]:
        """The plan catalogue with this run's entries resolved from the featurize step's outputs."""
        quarantined = {row["path"]: row for row in self.quarantine.to_pylist()}
        resolved = {}
        for path, entry in self.plan.items():
            if entry.status == PENDING and path in quarantined:
                entry = entry.quarantined(quarantined[path]["reason"], quarantined[path]["detail"])
            elif entry.status == PENDING:
                entry = entry.featurized_in(run_key)
            resolved[path] = entry
        return resolved


def _read_outputs(s3_hook: S3Hook, layout: RunLayout) -> _Outputs:
    import pyarrow as pa

    pca_schema = pa.schema([("path", pa.string()), ("label", pa.string()), ("pca", pa.list_(pa.float32()))])
    missing: list[str] = []
    return _Outputs(
        plan=_load(
            missing,
            "plan_catalogue.parquet",
            lambda: catalogue.read_catalogue(s3_hook, layout.plan_catalogue_uri),
            {},
        ),
        inputs=_load(missing, "input_list.txt", lambda: read_input_list(s3_hook, layout), []),
        featurize_report=_load(
            missing, "featurize_report.json", lambda: read_json(s3_hook, layout.featurize_report_uri), {}
        ),
        pca_report=_load(missing, "pca_report.json", lambda: read_json(s3_hook, layout.pca_report_uri), {}),
        pca=_load(
            missing,
            "pca/",
            lambda: read_parquet_prefix(s3_hook, layout.pca_uri, pca_schema.names),
            pca_schema.empty_table(),
        ),
        quarantine=_load(
            missing,
            "quarantine/",
            lambda: read_parquet_prefix(s3_hook, layout.quarantine_uri, ["path", "reason", "detail"]),
            pa.table({name: pa.array([], pa.string()) for name in ("path", "reason", "detail")}),
        ),
        missing=missing,
    )


def _cumulative_variance(pca_report: dict) -> float | None:
    return (pca_report.get("cumulative_explained_variance") or [None])[-1]


def _pca_variance_check(vectors: _Vectors, pca_report: dict) -> Check:
    """The published vectors recomputed: each column's variance must be the report's explained variance
    (ratio x total variance) and the columns uncorrelated, both within ``PCA_VARIANCE_LIMIT`` of the total
    variance, plus (2u + u^2) when the report says the values were stored rounded to a relative error of
    at most u (``pca_unit_roundoff``: that rounding moves a covariance entry by at most that much of the
    total variance). A wrong basis (not the covariance's leading eigenvectors) fails one or the other."""
    roundoff = float(pca_report.get("pca_unit_roundoff") or 0.0)
    limit = PCA_VARIANCE_LIMIT + 2 * roundoff + roundoff**2
    name, expected = (
        "pca_variance_matches_report",
        {"max_error": f"<= {limit:.3g} of the total variance"},
    )
    ratios, total = pca_report.get("explained_variance"), pca_report.get("total_variance")
    rows = vectors.matrix[np.isfinite(vectors.matrix).all(axis=1)]
    if not ratios or not total or len(ratios) != rows.shape[1] or len(rows) < 2:
        return Check(name, False, {"rows": len(rows), "total_variance": total,
                                   "components": len(ratios or [])}, expected)
    covariance = np.atleast_2d(np.cov(rows, rowvar=False))
    claimed = np.asarray(ratios, dtype=float) * total
    variance_error = float(np.abs(np.diag(covariance) - claimed).max() / total)
    cross = float(np.abs(covariance - np.diag(np.diag(covariance))).max() / total)
    observed = {"max_variance_error": variance_error, "max_cross_covariance": cross, "rows": len(rows)}
    return Check(name, max(variance_error, cross) <= limit, observed, expected)


def _checks(out: _Outputs, snapshot: dict[str, Entry], vectors: _Vectors, expected_images: int, k: int,
            min_variance: float) -> list[Check]:
    found = out.featurize_report.get("images_found")
    featurized = out.featurize_report.get("featurized")
    quarantined = out.featurize_report.get("quarantined")
    pending = [path for path, entry in out.plan.items() if entry.status == PENDING]
    run_quarantine = out.quarantine.column("path").to_pylist()
    pca_paths = out.pca.column("path").to_pylist()
    in_snapshot = [path for path, entry in snapshot.items() if entry.status == FEATURIZED]
    partition_rows = [p.get("rows") for p in out.pca_report.get("partitions") or []]
    cumulative = _cumulative_variance(out.pca_report)
    return [
        Check("outputs_present", not out.missing, out.missing, []),
        _equal("images_found", found, expected_images),
        _equal("input_list_length", len(out.inputs), expected_images),
        _no_uris("input_list_matches_plan", list(set(out.inputs) ^ set(pending))),
        _equal(
            "featurized_plus_quarantined",
            featurized + quarantined if None not in (featurized, quarantined) else None,
            found,
        ),
        _equal("quarantine_rows", out.quarantine.num_rows, quarantined),
        _equal("featurized_count", featurized, len(set(pending) - set(run_quarantine))),
        _no_uris("no_unexpected_quarantine", list(set(run_quarantine) - set(out.inputs))),
        _equal("pca_rows", out.pca.num_rows, len(in_snapshot)),
        _equal(
            "partition_rows", sum(partition_rows) if None not in partition_rows else None, out.pca.num_rows
        ),
        Check(
            "pca_dimensions",
            bool(vectors.full_rows.all()),
            {
                "lengths_seen": sorted(set(vectors.lengths.tolist())),
                "rows_with_other_length": int((~vectors.full_rows).sum()),
            },
            {"length": k},
        ),
        _equal("pca_rows_with_non_finite_values", int((~vectors.finite).sum()), 0),
        _no_uris("no_lost_images", list(set(in_snapshot) - set(pca_paths))),
        _no_uris("no_unexpected_images", list(set(pca_paths) - set(in_snapshot))),
        _no_uris(
            "no_duplicate_paths", [path for path, n in Counter(pca_paths + run_quarantine).items() if n > 1]
        ),
        _equal("explained_variance_components", len(out.pca_report.get("explained_variance") or []), k),
        _pca_variance_check(vectors, out.pca_report),
        Check(
            "cumulative_explained_variance",
            cumulative is not None and math.isfinite(cumulative) and cumulative >= min_variance,
            cumulative,
            f">= {min_variance}",
        ),
    ]


def validate_run(s3_hook: S3Hook, layout: RunLayout, expected_images: int, k: int,
                 min_explained_variance: float) -> dict:
    """Check the run's outputs, write validation.json + plots, raise ``ValidationError`` on failures."""
    _check_params(expected_images, k, min_explained_variance)
    out = _read_outputs(s3_hook, layout)
    vectors = _vectors(out.pca, k)
    snapshot = out.snapshot_entries(layout.run_key)
    checks = _checks(out, snapshot, vectors, expected_images, k, min_explained_variance)
    failed = [check for check in checks if not check.passed]
    report = {
        "run_key": layout.run_key,
        "validated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "passed": not failed,
        "failed_checks": [check.name for check in failed],
        "checks": [asdict(check) for check in checks],
        "counts": {
            "images": expected_images,
            "featurized": out.featurize_report.get("featurized"),
            "quarantined": out.featurize_report.get("quarantined"),
            "quarantine_by_reason": out.featurize_report.get("quarantine_by_reason"),
        },
        "snapshot": {**catalogue.count_by_status(snapshot.values()), "images": len(snapshot),
                     "catalogue": layout.catalogue_uri},
        "k": k,
        "cumulative_explained_variance": _cumulative_variance(out.pca_report),
        "storage": _storage(s3_hook, layout, out.pca_report),
        "probe": _probe(out.pca.column("label").to_pylist(), vectors),
        "plots": _write_plots(s3_hook, layout, out.pca.column("label").to_pylist(), vectors, out.pca_report,
                              min_explained_variance),
    }
    if not failed:
        catalogue.write_catalogue(s3_hook, layout.catalogue_uri, snapshot.values())
    write_bytes(s3_hook, layout.validation_uri, json.dumps(report, indent=2).encode("utf-8"))
    log.info("%s", validation_table(report))
    if failed:
        raise ValidationError(failed, layout.validation_uri)
    return report
