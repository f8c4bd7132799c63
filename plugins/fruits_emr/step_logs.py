"""Read the end of an EMR step's stderr from the cluster's ``LogUri``, to show why a step failed.

EMR copies step logs to ``LogUri/<cluster-id>/steps/<step-id>/stderr.gz`` every few minutes, so the
file may not be there yet when a step has just failed; that is reported, not treated as an error.
"""
from __future__ import annotations

import gzip

STDERR_TAIL_LINES = 40


def step_stderr_key(log_uri_key: str, cluster_id: str, step_id: str) -> str:
    """Key of a step's ``stderr.gz`` below the key prefix of the cluster's LogUri."""
    parts = (log_uri_key.strip("/"), cluster_id, "steps", step_id, "stderr.gz")
    return "/".join(p for p in parts if p)


def step_stderr_tail(
    s3_hook, log_uri: str, cluster_id: str, step_id: str, max_lines: int = STDERR_TAIL_LINES
) -> str | None:
    """The last ``max_lines`` lines of the step's stderr, or ``None`` when EMR has not copied it yet."""
    bucket, prefix = s3_hook.parse_s3_url(log_uri)
    key = step_stderr_key(prefix, cluster_id, step_id)
    if not s3_hook.check_for_key(key, bucket_name=bucket):
        return None
    raw = s3_hook.get_key(key, bucket_name=bucket).get()["Body"].read()
    lines = gzip.decompress(raw).decode("utf-8", errors="replace").splitlines()
    return "\n".join(lines[-max_lines:])
