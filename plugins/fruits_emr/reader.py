"""Reading the published snapshot, for consumers such as the app's training job (boto3 + pyarrow only).

    from fruits_emr.reader import load_latest
    snapshot = load_latest("my-bucket", "fruits/features")       # boto3's default credentials/region
    snapshot.table          # pyarrow Table: path, label, pca (k float32), model_id
    snapshot.pointer["k"], snapshot.pointer["cumulative_explained_variance"]

What a consumer can rely on: every row comes from ``latest.json`` of one published snapshot, so every
image under the input prefix at planning time is there exactly once (or in the snapshot's catalogue as
quarantined or deferred); all vectors are in ONE PCA basis, the model named by ``model_id`` (the run key
of the snapshot that fitted it, saved under ``snapshot.pointer["snapshot"]["pca_model"]``). The basis
changes with every published snapshot (each refits on all its images), so vectors from two snapshots
must not be mixed: reload the whole table when ``model_id`` changes.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from fruits_emr.layout import folder_prefix, s3_uri, split_s3_uri

LATEST = "latest.json"


@dataclass(frozen=True)
class Snapshot:
    """The published pointer and the snapshot's PCA table."""

    pointer: dict
    table: Any  # pyarrow.Table

    @property
    def model_id(self) -> str:
        return self.pointer["model_id"]


def _default_client():
    import boto3

    return boto3.client("s3")


def load_latest(bucket: str, output_prefix: str, s3_client=None) -> Snapshot:
    """The snapshot ``latest.json`` points at, with its whole PCA table and a ``model_id`` column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    client = s3_client or _default_client()
    latest_bucket, latest_key = split_s3_uri(s3_uri(bucket, output_prefix, LATEST))
    pointer = json.loads(client.get_object(Bucket=latest_bucket, Key=latest_key)["Body"].read())
    pca_bucket, pca_prefix = split_s3_uri(pointer["snapshot"]["pca"])
    parts = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=pca_bucket, Prefix=folder_prefix(pca_prefix)
    ):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(".parquet"):
                body = client.get_object(Bucket=pca_bucket, Key=obj["Key"])["Body"].read()
                parts.append(pq.read_table(io.BytesIO(body)))
    if not parts:
        raise FileNotFoundError(f"the published snapshot has no PCA table under {pointer['snapshot']['pca']}")
    table = pa.concat_tables(parts, promote_options="default")
    model_id = pa.array([pointer["model_id"]] * table.num_rows, pa.string()).dictionary_encode()
    return Snapshot(pointer, table.append_column("model_id", model_id))
