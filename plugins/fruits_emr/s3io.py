"""Small S3 reads and writes through the provider's S3Hook: whole objects, JSON, and Parquet datasets.

Shared by the planning, validation and publish tasks; everything goes through ``S3Hook`` so the same
code talks to AWS or to the local emulator, depending only on the Airflow connection.
"""
from __future__ import annotations

import json
import tempfile
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fruits_emr.layout import split_s3_uri

if TYPE_CHECKING:
    import pyarrow as pa
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook


def read_bytes(s3_hook: S3Hook, uri: str) -> bytes:
    """The whole content of one S3 object (``read_key`` would decode it as UTF-8 text).

    Raises ``FileNotFoundError`` naming the URI when the object does not exist.
    """
    bucket, key = split_s3_uri(uri)
    try:
        return s3_hook.get_key(key, bucket_name=bucket).get()["Body"].read()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            raise FileNotFoundError(f"no S3 object at {uri}") from err
        raise


def write_bytes(s3_hook: S3Hook, uri: str, data: bytes) -> None:
    """Replace one S3 object; a reader sees the old or the new content, never a mix.

    Encrypted as ``s3_hook`` encrypts every upload (its ``extra_args``: ``fruits_emr.encryption``).
    """
    bucket, key = split_s3_uri(uri)
    s3_hook.load_bytes(data, key=key, bucket_name=bucket, replace=True)


def read_json(s3_hook: S3Hook, uri: str) -> dict:
    """One JSON object stored in S3."""
    return json.loads(read_bytes(s3_hook, uri))


def parquet_objects(s3_hook: S3Hook, uri: str) -> list[dict]:
    """Listing entries (``Key``, ``Size``...) of the Parquet part files under a dataset prefix."""
    bucket, prefix = split_s3_uri(uri)
    return [obj for obj in s3_hook.iter_file_metadata(prefix.rstrip("/") + "/", bucket_name=bucket)
            if obj["Key"].endswith(".parquet")]


def read_parquet_prefix(s3_hook: S3Hook, uri: str, columns: list[str] | None = None) -> pa.Table:
    """All Parquet part files under ``uri`` as one pyarrow Table (``FileNotFoundError`` when none)."""
    import pyarrow.parquet as pq

    bucket, _ = split_s3_uri(uri)
    objects = parquet_objects(s3_hook, uri)
    if not objects:
        raise FileNotFoundError(f"no Parquet files under {uri}")
    with tempfile.TemporaryDirectory(prefix="fruits_parquet_") as tmp:
        for number, obj in enumerate(objects):
            # the hook's client, not S3Hook.download_file: that passes the hook's extra_args (the upload
            # encryption of fruits_emr.encryption) to the download, which refuses ServerSideEncryption
            s3_hook.conn.download_file(bucket, obj["Key"], f"{tmp}/part-{number:05d}.parquet")
        return pq.read_table(tmp, columns=columns)


def prefix_size(s3_hook: S3Hook, uri: str) -> int:
    """Bytes of the Parquet part files under a dataset prefix."""
    return sum(obj["Size"] for obj in parquet_objects(s3_hook, uri))
