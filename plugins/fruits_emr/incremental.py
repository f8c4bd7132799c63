"""Incremental input planning: which images a run processes, and the manifest of images already processed.

The manifest (``RunLayout.manifest_uri``) is a gzip text file with one ``s3://`` URI per line, written
only by the publish task after a run was validated. A run's plan lists everything under the input
prefix, drops what the manifest holds (unless ``full_reprocess``), sorts the rest and caps it at
``max_images``; what the cap leaves out is "deferred" to the next run. Nothing is filtered by file
extension: the featurize job quarantines non-images with a reason, so no input is silently dropped.
"""
from __future__ import annotations

import gzip
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fruits_emr.layout import RunLayout, folder_prefix, prefixes_overlap, split_s3_uri
from fruits_emr.log_tables import plan_table
from fruits_emr.s3io import read_bytes, write_bytes

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

log = logging.getLogger(__name__)


def _uri_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _lines_text(uris: Iterable[str]) -> str:
    return "".join(f"{uri}\n" for uri in uris)


def read_input_list(s3_hook: S3Hook, layout: RunLayout) -> list[str]:
    """The URIs the plan task selected for this run (``input_list.txt``), in file order."""
    return _uri_lines(read_bytes(s3_hook, layout.input_list_uri).decode("utf-8"))


def read_processed_uris(s3_hook: S3Hook, layout: RunLayout) -> set[str]:
    """URIs of every image a published run has processed; empty before the first publish."""
    try:
        compressed = read_bytes(s3_hook, layout.manifest_uri)
    except FileNotFoundError:
        return set()
    return set(_uri_lines(gzip.decompress(compressed).decode("utf-8")))


def write_processed_uris(s3_hook: S3Hook, layout: RunLayout, uris: Iterable[str]) -> None:
    """Replace the manifest with ``uris`` (sorted, one per line, gzip; mtime 0 for stable bytes)."""
    text = _lines_text(sorted(set(uris)))
    write_bytes(s3_hook, layout.manifest_uri, gzip.compress(text.encode("utf-8"), mtime=0))


def _refuse_overlap(input_uri: str, layout: RunLayout) -> None:
    """Inputs and outputs must not contain each other, or a run would process earlier runs' outputs."""
    if prefixes_overlap(*split_s3_uri(input_uri), *split_s3_uri(layout.root_uri)):
        raise ValueError(f"input prefix {input_uri!r} and output prefix {layout.root_uri!r} overlap; "
                         "use separate prefixes")


def list_input_uris(s3_hook: S3Hook, input_uri: str) -> list[str]:
    """Every object under ``input_uri`` as ``s3://`` URIs (all pages); folder markers are skipped."""
    bucket, prefix = split_s3_uri(input_uri)
    prefix = folder_prefix(prefix)
    try:
        keys = s3_hook.list_keys(bucket_name=bucket, prefix=prefix)
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code")
        raise ValueError(f"cannot list input prefix {input_uri!r}: {code or err}") from err
    markers = [key for key in keys if key.endswith("/")]
    if markers:
        log.info("Skipping %d folder marker object(s) under %s (not files)", len(markers), input_uri)
    uris = [f"s3://{bucket}/{key}" for key in keys if not key.endswith("/")]
    if not uris:
        raise ValueError(f"input prefix {input_uri!r} is missing or holds no objects")
    return uris


def plan_inputs(s3_hook: S3Hook, layout: RunLayout, input_uri: str, max_images: int,
                full_reprocess: bool) -> dict:
    """Choose this run's images, write them to ``layout.input_list_uri`` and return the counts."""
    if max_images < 1:
        raise ValueError(f"max_images must be at least 1, got {max_images}")
    _refuse_overlap(input_uri, layout)
    found = list_input_uris(s3_hook, input_uri)
    processed = read_processed_uris(s3_hook, layout)
    already = [uri for uri in found if uri in processed]
    candidates = sorted(found if full_reprocess else set(found) - processed)
    selected = candidates[:max_images]
    write_bytes(s3_hook, layout.input_list_uri, _lines_text(selected).encode("utf-8"))
    plan = {
        "total_found": len(found),
        "already_processed": len(already),
        "selected": len(selected),
        "deferred": len(candidates) - len(selected),
        "input_list_uri": layout.input_list_uri,
    }
    log.info("%s", plan_table(plan, full_reprocess))
    return plan
