"""Where every artefact of a pipeline run lives in S3.

All outputs of one run sit under a run-specific prefix, so a failed or partial run never touches
what readers use; only ``latest.json`` is shared between runs, written by the publish task alone,
after validation (see docs/ARCHITECTURE.md for the whole layout).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def run_key(run_id: str) -> str:
    """An S3- and EMR-name-safe form of an Airflow run id (``manual__2026-11-24T06:00:00+00:00``).

    A readable part plus a short hash of the exact run id, so two run ids that differ only in
    unsafe characters (``T06:00:00+00:00`` and ``T06-00-00-00-00``) never share a key.
    """
    readable = _UNSAFE.sub("-", run_id).strip("-")
    if not readable:
        raise ValueError(f"run id {run_id!r} has no usable characters")
    return f"{readable}-{hashlib.sha256(run_id.encode()).hexdigest()[:10]}"


def s3_uri(bucket: str, *parts: str) -> str:
    """Join a bucket and key parts into an ``s3://`` URI without doubled slashes."""
    key = "/".join(p.strip("/") for p in parts if p and p.strip("/"))
    return f"s3://{bucket}/{key}"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``; refuses anything that is not an s3 URI."""
    match = re.fullmatch(r"s3a?://([^/]+)/?(.*)", uri)
    if not match:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return match.group(1), match.group(2)


def folder_prefix(prefix: str) -> str:
    """A prefix as a folder, ending in "/" ("" for the bucket root): "images" never matches "images-old"."""
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def prefixes_overlap(bucket_a: str, prefix_a: str, bucket_b: str, prefix_b: str) -> bool:
    """Whether one key prefix contains the other, as folders."""
    folder_a, folder_b = folder_prefix(prefix_a), folder_prefix(prefix_b)
    return bucket_a == bucket_b and (folder_a.startswith(folder_b) or folder_b.startswith(folder_a))


@dataclass(frozen=True)
class RunLayout:
    """The S3 locations of one run's inputs, outputs and the shared pointers."""

    bucket: str
    output_prefix: str
    run_key: str

    @property
    def root_uri(self) -> str:
        return s3_uri(self.bucket, self.output_prefix)

    @property
    def run_uri(self) -> str:
        return s3_uri(self.bucket, self.output_prefix, "runs", self.run_key)

    def _in_run(self, name: str) -> str:
        return f"{self.run_uri}/{name}"

    @property
    def input_list_uri(self) -> str:
        return self._in_run("input_list.txt")

    @property
    def features_uri(self) -> str:
        return self._in_run("features")

    @property
    def quarantine_uri(self) -> str:
        return self._in_run("quarantine")

    @property
    def carried_uri(self) -> str:
        """Rows this run's partition takes over from older partitions that lost rows."""
        return self._in_run("carried")

    @property
    def partition_stats_uri(self) -> str:
        """Sufficient statistics (count, mean, scatter) of this run's feature partition."""
        return self._in_run("partition_stats.npz")

    @property
    def plan_catalogue_uri(self) -> str:
        return self._in_run("plan_catalogue.parquet")

    @property
    def snapshot_plan_uri(self) -> str:
        return self._in_run("snapshot_plan.json")

    @property
    def catalogue_uri(self) -> str:
        """The validated snapshot's catalogue: every input object once, with its status."""
        return self._in_run("catalogue.parquet")

    @property
    def featurize_report_uri(self) -> str:
        return self._in_run("featurize_report.json")

    @property
    def pca_uri(self) -> str:
        return self._in_run("pca")

    @property
    def pca_model_uri(self) -> str:
        return self._in_run("pca_model")

    @property
    def pca_report_uri(self) -> str:
        return self._in_run("pca_report.json")

    @property
    def validation_uri(self) -> str:
        return self._in_run("validation.json")

    @property
    def plots_uri(self) -> str:
        return self._in_run("plots")

    @property
    def latest_uri(self) -> str:
        return s3_uri(self.bucket, self.output_prefix, "latest.json")

    @property
    def runs_uri(self) -> str:
        return s3_uri(self.bucket, self.output_prefix, "runs")

    @property
    def logs_uri(self) -> str:
        return s3_uri(self.bucket, self.output_prefix, "emr-logs") + "/"

    @property
    def artifacts_uri(self) -> str:
        """Content-addressed code, bootstrap and weights shared by all runs (never overwritten)."""
        return s3_uri(self.bucket, self.output_prefix, "artifacts")
