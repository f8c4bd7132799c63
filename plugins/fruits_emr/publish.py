"""Publishing a validated snapshot: one conditional write of ``latest.json`` commits it.

The pointer names everything a reader needs (the catalogue, the PCA table and model, the feature
partitions with their statistics) and is the only shared object a run writes; the next run's plan
derives "already processed" from the catalogue it names. So a publish that fails leaves the previous
snapshot in force and loses nothing: the next run plans the same images again.

The write is conditional on the pointer the run was planned against (``fruits_emr.pointer``): a run
planned on an older snapshot, or racing another publisher, is refused (``PublishRefused``) rather than
rolling readers back. A retry after a write that succeeded (a lost response) finds its own pointer and
returns it, so the task is safe to retry.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from fruits_emr.failures import PermanentFailure
from fruits_emr.layout import RunLayout, run_key
from fruits_emr.pointer import POINTER_VERSION, PointerConflict, read_pointer, write_pointer
from fruits_emr.s3io import read_json

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

log = logging.getLogger(__name__)


class PublishRefused(PermanentFailure):
    """The run may not be published: not validated, failed validation, or planned on an older snapshot."""


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


def pointer_document(layout: RunLayout, run_id: str, plan: dict, validation: dict, pca_report: dict) -> dict:
    """The ``latest.json`` of this run's snapshot."""
    return {
        "version": POINTER_VERSION,
        "run_id": run_id,
        "run_key": layout.run_key,
        "run_uri": layout.run_uri,
        "based_on": plan["based_on"],
        "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "snapshot": {
            "catalogue": layout.catalogue_uri,
            "pca": layout.pca_uri,
            "pca_model": layout.pca_model_uri,
            "partitions": pca_report["partitions"],
        },
        "model_id": layout.run_key,
        "k": validation["k"],
        "cumulative_explained_variance": validation["cumulative_explained_variance"],
        "counts": validation["snapshot"],
        "reports": {
            "featurize": layout.featurize_report_uri,
            "pca": layout.pca_report_uri,
            "validation": layout.validation_uri,
            "plots": validation["plots"],
        },
    }


def publish_run(s3_hook: S3Hook, layout: RunLayout, run_id: str) -> dict:
    """Write ``latest.json`` for this validated run if the pointer is still the one it was planned on."""
    if run_key(run_id) != layout.run_key:
        raise ValueError(f"run id {run_id!r} does not belong to the layout of run {layout.run_key!r}")
    validation = _validated_report(s3_hook, layout)
    plan = read_json(s3_hook, layout.snapshot_plan_uri)
    document = pointer_document(layout, run_id, plan, validation, read_json(s3_hook, layout.pca_report_uri))
    try:
        write_pointer(s3_hook, layout.latest_uri, document, plan["base_pointer_etag"])
    except PointerConflict as conflict:
        current = read_pointer(s3_hook, layout.latest_uri)
        if current is not None and current.document.get("run_key") == layout.run_key:
            log.info("latest.json already points at run %s (an earlier try published it)", layout.run_key)
            return current.document
        published = current.document.get("run_key") if current else None
        raise PublishRefused(
            f"run {layout.run_key} was planned on snapshot {plan['based_on']!r}, but {published!r} is "
            f"published now: refusing to replace a snapshot this run did not see ({conflict}). The next run "
            "plans against the new snapshot and picks this run's images up again.") from conflict
    log.info("Published snapshot %s: %s", layout.run_key, document["counts"])
    return document
