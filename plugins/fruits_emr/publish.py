"""Publishing a validated run: record its images in the manifest, then point ``latest.json`` at it.

Order matters for readers: the manifest of processed keys is updated first and ``latest.json`` is
written last, in a single PUT of the whole document (S3 replaces an object atomically), so a reader
never sees a pointer to a run whose manifest update failed, nor a half-written pointer. A run whose
``validation.json`` is missing or did not pass is refused.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from fruits_emr.failures import PermanentFailure
from fruits_emr.incremental import read_input_list, read_processed_uris, write_processed_uris
from fruits_emr.layout import RunLayout, run_key
from fruits_emr.s3io import read_json, write_bytes

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

log = logging.getLogger(__name__)


class PublishRefused(PermanentFailure):
    """The run is not in a state that may be published (not validated, or validation failed)."""


def _validated_report(s3_hook: S3Hook, layout: RunLayout) -> dict:
    try:
        report = read_json(s3_hook, layout.validation_uri)
    except FileNotFoundError as err:
        raise PublishRefused(
            f"run {layout.run_key} has no validation report; validate before publishing") from err
    if report.get("passed") is not True:
        raise PublishRefused(f"run {layout.run_key} failed validation ({report.get('failed_checks')}); "
                             f"see {layout.validation_uri}")
    return report


def publish_run(s3_hook: S3Hook, layout: RunLayout, run_id: str) -> dict:
    """Merge this run's inputs into the manifest, then write ``latest.json``; returns the pointer."""
    if run_key(run_id) != layout.run_key:
        raise ValueError(f"run id {run_id!r} does not belong to the layout of run {layout.run_key!r}")
    report = _validated_report(s3_hook, layout)
    # Validation proved pca/ + quarantine/ hold exactly the input list (no image lost, none unexpected,
    # no duplicate), so the small input list stands for them: no need to download the Parquet again.
    new = set(read_input_list(s3_hook, layout))
    before = read_processed_uris(s3_hook, layout)
    merged = before | new
    write_processed_uris(s3_hook, layout, merged)
    pointer = {
        "run_id": run_id,
        "run_key": layout.run_key,
        "run_uri": layout.run_uri,
        "uris": {
            "features": layout.features_uri,
            "pca": layout.pca_uri,
            "pca_model": layout.pca_model_uri,
            "quarantine": layout.quarantine_uri,
            "featurize_report": layout.featurize_report_uri,
            "pca_report": layout.pca_report_uri,
            "validation": layout.validation_uri,
            "plots": report["plots"],
            "manifest": layout.manifest_uri,
        },
        "counts": {**report["counts"], "manifest_total": len(merged),
                   "manifest_added": len(merged) - len(before)},
        "k": report["k"],
        "cumulative_explained_variance": report["cumulative_explained_variance"],
        "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_bytes(s3_hook, layout.latest_uri, json.dumps(pointer, indent=2).encode("utf-8"))
    log.info("Published run %s: %s", layout.run_key, pointer["counts"])
    return pointer
