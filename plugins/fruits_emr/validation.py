"""Validation of one run's outputs before it may be published, with its JSON report and PNG plots.

``validate_run`` reads the run's Parquet outputs and the featurize/PCA reports from S3, checks that
no input was lost or duplicated, that every PCA vector has ``k`` finite values and that enough
variance is explained, then writes ``validation.json`` (every check with name, passed, observed,
expected) and the plots next to the outputs. Failed checks raise ``ValidationError`` *after* the
report is written, so the evidence is in S3 either way. pyarrow is imported inside functions.
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

from fruits_emr import plots
from fruits_emr.incremental import read_input_list
from fruits_emr.layout import RunLayout
from fruits_emr.log_tables import validation_table
from fruits_emr.s3io import prefix_size, read_json, read_parquet_prefix, write_bytes

if TYPE_CHECKING:
    import pyarrow as pa
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

log = logging.getLogger(__name__)

MAX_EXAMPLES = 20  # URIs listed in a failed check; the count is always complete
EXPLAINED_VARIANCE_PNG = "explained_variance.png"
PCA_SCATTER_PNG = "pca_scatter.png"


class ValidationError(Exception):
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
    """Bytes of features/ and pca/ as stored in S3, and their ratio (features are never downloaded)."""
    features_bytes = prefix_size(s3_hook, layout.features_uri)
    pca_bytes = prefix_size(s3_hook, layout.pca_uri)
    return {
        "features_bytes": features_bytes,
        "pca_bytes": pca_bytes,
        "storage_ratio": round(features_bytes / pca_bytes, 2) if features_bytes and pca_bytes else None,
        "storage_ratio_reported_by_pca": pca_report.get("storage_ratio"),
    }


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

    inputs: list[str]
    featurize_report: dict
    pca_report: dict
    pca: pa.Table  # path, label, pca
    quarantine: pa.Table  # path
    missing: list[str]


def _read_outputs(s3_hook: S3Hook, layout: RunLayout) -> _Outputs:
    import pyarrow as pa

    pca_schema = pa.schema([("path", pa.string()), ("label", pa.string()), ("pca", pa.list_(pa.float32()))])
    missing: list[str] = []
    return _Outputs(
        inputs=_load(missing, "input_list.txt", lambda: read_input_list(s3_hook, layout), []),
        featurize_report=_load(missing, "featurize_report.json",
                               lambda: read_json(s3_hook, layout.featurize_report_uri), {}),
        pca_report=_load(missing, "pca_report.json", lambda: read_json(s3_hook, layout.pca_report_uri), {}),
        pca=_load(missing, "pca/", lambda: read_parquet_prefix(s3_hook, layout.pca_uri, pca_schema.names),
                  pca_schema.empty_table()),
        quarantine=_load(missing, "quarantine/",
                         lambda: read_parquet_prefix(s3_hook, layout.quarantine_uri, ["path"]),
                         pa.table({"path": pa.array([], pa.string())})),
        missing=missing,
    )


def _cumulative_variance(pca_report: dict) -> float | None:
    return (pca_report.get("cumulative_explained_variance") or [None])[-1]


def _checks(out: _Outputs, vectors: _Vectors, expected_images: int, k: int,
            min_variance: float) -> list[Check]:
    found = out.featurize_report.get("images_found")
    featurized = out.featurize_report.get("featurized")
    quarantined = out.featurize_report.get("quarantined")
    output_paths = out.pca.column("path").to_pylist() + out.quarantine.column("path").to_pylist()
    cumulative = _cumulative_variance(out.pca_report)
    return [
        Check("outputs_present", not out.missing, out.missing, []),
        _equal("images_found", found, expected_images),
        _equal("input_list_length", len(out.inputs), expected_images),
        _equal("featurized_plus_quarantined",
               featurized + quarantined if None not in (featurized, quarantined) else None, found),
        _equal("pca_rows", out.pca.num_rows, featurized),
        _equal("quarantine_rows", out.quarantine.num_rows, quarantined),
        Check("pca_dimensions", bool(vectors.full_rows.all()),
              {"lengths_seen": sorted(set(vectors.lengths.tolist())),
               "rows_with_other_length": int((~vectors.full_rows).sum())},
              {"length": k}),
        _equal("pca_rows_with_non_finite_values", int((~vectors.finite).sum()), 0),
        _no_uris("no_lost_images", list(set(out.inputs) - set(output_paths))),
        _no_uris("no_unexpected_images", list(set(output_paths) - set(out.inputs))),
        _no_uris("no_duplicate_paths", [path for path, n in Counter(output_paths).items() if n > 1]),
        _equal("explained_variance_components", len(out.pca_report.get("explained_variance") or []), k),
        Check("cumulative_explained_variance",
              cumulative is not None and math.isfinite(cumulative) and cumulative >= min_variance,
              cumulative, f">= {min_variance}"),
    ]


def validate_run(s3_hook: S3Hook, layout: RunLayout, expected_images: int, k: int,
                 min_explained_variance: float) -> dict:
    """Check the run's outputs, write validation.json + plots, raise ``ValidationError`` on failures."""
    _check_params(expected_images, k, min_explained_variance)
    out = _read_outputs(s3_hook, layout)
    vectors = _vectors(out.pca, k)
    checks = _checks(out, vectors, expected_images, k, min_explained_variance)
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
        "k": k,
        "cumulative_explained_variance": _cumulative_variance(out.pca_report),
        "storage": _storage(s3_hook, layout, out.pca_report),
        "plots": _write_plots(s3_hook, layout, out.pca.column("label").to_pylist(), vectors, out.pca_report,
                              min_explained_variance),
    }
    write_bytes(s3_hook, layout.validation_uri, json.dumps(report, indent=2).encode("utf-8"))
    log.info("%s", validation_table(report))
    if failed:
        raise ValidationError(failed, layout.validation_uri)
    return report
