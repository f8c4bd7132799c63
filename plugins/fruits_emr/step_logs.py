"""Read the end of EMR's logs from the cluster's ``LogUri``, to show why a step or a cluster failed.

Locations (EMR Management Guide, "View log files"): a step's
``LogUri/<cluster-id>/steps/<step-id>/stderr.gz``;
the bootstrap actions' logs per node under ``LogUri/<cluster-id>/node/<instance-id>/bootstrap-actions/``.
EMR copies logs every few minutes, so a file may not be there yet when something has just failed;
that is reported, not treated as an error.
"""
from __future__ import annotations

import gzip

STDERR_TAIL_LINES = 40


def step_stderr_key(log_uri_key: str, cluster_id: str, step_id: str) -> str:
    """Key of a step's ``stderr.gz`` below the key prefix of the cluster's LogUri."""
    parts = (log_uri_key.strip("/"), cluster_id, "steps", step_id, "stderr.gz")
    return "/".join(p for p in parts if p)


def bootstrap_logs_location(log_uri: str, cluster_id: str) -> str:
    """Where EMR copies the bootstrap actions' logs of a cluster (one folder per node)."""
    return f"{log_uri.rstrip('/')}/{cluster_id}/node/<instance-id>/bootstrap-actions/"


def _tail(s3_hook, bucket: str, key: str, max_lines: int) -> str:
    raw = s3_hook.get_key(key, bucket_name=bucket).get()["Body"].read()
    lines = gzip.decompress(raw).decode("utf-8", errors="replace").splitlines()
    return "\n".join(lines[-max_lines:])


def step_stderr_tail(
    s3_hook, log_uri: str, cluster_id: str, step_id: str, max_lines: int = STDERR_TAIL_LINES
) -> str | None:
    """The last ``max_lines`` lines of the step's stderr, or ``None`` when EMR has not copied it yet."""
    bucket, prefix = s3_hook.parse_s3_url(log_uri)
    key = step_stderr_key(prefix, cluster_id, step_id)
    if not s3_hook.check_for_key(key, bucket_name=bucket):
        return None
    return _tail(s3_hook, bucket, key, max_lines)


def bootstrap_stderr_tails(
    s3_hook, log_uri: str, cluster_id: str, max_lines: int = STDERR_TAIL_LINES
) -> dict[str, str]:
    """The end of every bootstrap action's stderr EMR has copied so far, by S3 URI."""
    bucket, prefix = s3_hook.parse_s3_url(log_uri)
    node_prefix = "/".join(p for p in (prefix.strip("/"), cluster_id, "node") if p) + "/"
    keys = s3_hook.list_keys(bucket_name=bucket, prefix=node_prefix) or []
    return {
        f"s3://{bucket}/{key}": _tail(s3_hook, bucket, key, max_lines)
        for key in sorted(keys)
        if "/bootstrap-actions/" in key and key.endswith("/stderr.gz")
    }
