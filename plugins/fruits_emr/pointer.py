"""``latest.json``: the one object whose write commits a snapshot, written only if nobody else wrote first.

Readers follow ``latest.json`` and nothing else, so a snapshot becomes visible in a single PUT (S3
replaces an object atomically: a reader sees the old or the new document, never a mix). The plan task
reads the pointer and keeps its ETag; the publish task writes the new pointer with S3's conditional
writes: ``If-Match: <that ETag>``, or ``If-None-Match: *`` when there was no pointer yet. If another
run published in between (two publishers racing, or an older run's publish re-run), S3 answers
412 Precondition Failed (or 409 ConditionalRequestConflict for a concurrent conditional write) and
the run is refused instead of overwriting a newer snapshot.
Source: Amazon S3 User Guide, "How to prevent object overwrites with conditional writes"
(docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html), and the PutObject API
reference (IfMatch, IfNoneMatch). The provider's ``S3Hook.load_bytes`` has no conditional form, so the
write goes through the hook's own boto3 client (``S3Hook.conn``), with the hook's server-side
encryption (``fruits_emr.encryption``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fruits_emr.encryption import put_args
from fruits_emr.layout import split_s3_uri

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

POINTER_VERSION = 2
_CONFLICT_CODES = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})


class PointerConflict(Exception):
    """The pointer changed since this run read it: another snapshot was published meanwhile."""


@dataclass(frozen=True)
class Pointer:
    """The published pointer document and the ETag it had when read."""

    document: dict
    etag: str


def read_pointer(s3_hook: S3Hook, uri: str) -> Pointer | None:
    """The current pointer, or ``None`` before the first publish."""
    bucket, key = split_s3_uri(uri)
    try:
        response = s3_hook.conn.get_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return Pointer(json.loads(response["Body"].read()), response["ETag"])


def write_pointer(s3_hook: S3Hook, uri: str, document: dict, expected_etag: str | None) -> str:
    """Replace the pointer only if it still has ``expected_etag`` (``None``: only if there is none).

    Returns the new ETag; raises ``PointerConflict`` when the condition does not hold.
    """
    bucket, key = split_s3_uri(uri)
    condition = {"IfMatch": expected_etag} if expected_etag else {"IfNoneMatch": "*"}
    try:
        response = s3_hook.conn.put_object(
            Bucket=bucket, Key=key, Body=json.dumps(document, indent=2).encode("utf-8"),
            ContentType="application/json", **condition, **put_args(s3_hook),
        )
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code")
        if code in _CONFLICT_CODES:
            raise PointerConflict(
                f"{uri} changed since it was read (expected ETag {expected_etag}): {code}"
            ) from err
        raise
    return response["ETag"]
