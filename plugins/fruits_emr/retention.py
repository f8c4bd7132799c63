"""Retention: delete what the published snapshot no longer needs once it is older than the retention period.

Personal data (photo keys, features, PCA vectors) must not stay on S3 longer than needed (GDPR). Under
``OUTPUT_PREFIX/runs/`` each run folder is one of:

- the published snapshot's run: kept whole;
- a run whose feature partition the snapshot still uses: its partition (``features/``, ``carried/``,
  ``partition_stats.npz``) is kept, everything else (its own superseded PCA table, catalogue, reports,
  plots, input list, quarantine records) is deleted once older than the retention;
- any other run (superseded, failed, never published): deleted once older than the retention.

EMR logs under ``OUTPUT_PREFIX/emr-logs/`` follow the same retention. Content-addressed artefacts
(code, bootstrap, weights) hold no personal data and are left alone. Age is the object's LastModified,
so an erased image's features are gone at most one retention period after they were written. Nothing
is deleted while no snapshot is published, except EMR logs.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from fruits_emr.layout import RunLayout, folder_prefix, split_s3_uri
from fruits_emr.pointer import read_pointer

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30
PARTITION_FILES = ("features/", "carried/", "partition_stats.npz")


def _keep_paths(document: dict, runs_prefix: str) -> tuple[str, set[str]]:
    """(the published run's folder key, keys prefixes of the partitions it uses)."""
    published = f"{runs_prefix}{document['run_key']}/"
    partitions = {f"{runs_prefix}{p['run_key']}/{name}"
                  for p in document["snapshot"]["partitions"] for name in PARTITION_FILES}
    return published, partitions


def expired_keys(objects: list[dict], document: dict | None, runs_prefix: str, logs_prefix: str,
                 now: datetime, retention_days: int) -> list[str]:
    """Which of the listed ``objects`` (``Key``, ``LastModified``) retention deletes now."""
    cutoff = now - timedelta(days=retention_days)
    published, partitions = _keep_paths(document, runs_prefix) if document else (None, set())
    expired = []
    for obj in objects:
        key = obj["Key"]
        if obj["LastModified"] >= cutoff:
            continue
        if key.startswith(logs_prefix):
            expired.append(key)
        elif key.startswith(runs_prefix) and document is not None:
            if not key.startswith(published) and not any(key.startswith(p) for p in partitions):
                expired.append(key)
    return expired


def apply_retention(s3_hook: S3Hook, layout: RunLayout, retention_days: int,
                    now: datetime | None = None) -> dict:
    """Delete the expired run files and EMR logs; returns what was deleted, by area."""
    if retention_days < 1:
        raise ValueError(f"retention_days must be >= 1, got {retention_days}")
    bucket, root = split_s3_uri(layout.root_uri)
    runs_prefix = folder_prefix(split_s3_uri(layout.runs_uri)[1])
    logs_prefix = folder_prefix(split_s3_uri(layout.logs_uri)[1])
    pointer = read_pointer(s3_hook, layout.latest_uri)
    objects = [obj for prefix in (runs_prefix, logs_prefix)
               for obj in s3_hook.iter_file_metadata(prefix, bucket_name=bucket)]
    expired = expired_keys(objects, pointer.document if pointer else None, runs_prefix, logs_prefix,
                           now or datetime.now(timezone.utc), retention_days)
    if expired:
        s3_hook.delete_objects(bucket, expired)  # the hook sends 1,000 keys a request, DeleteObjects' limit
    summary = {
        "retention_days": retention_days,
        "deleted_run_files": sum(key.startswith(runs_prefix) for key in expired),
        "deleted_log_files": sum(key.startswith(logs_prefix) for key in expired),
        "runs_with_deletions": sorted({key[len(runs_prefix):].split("/", 1)[0]
                                for key in expired if key.startswith(runs_prefix)}),
        "published": pointer.document["run_key"] if pointer else None,
    }
    log.info("Retention (%d days) under %s: %s", retention_days, folder_prefix(root), summary)
    return summary
