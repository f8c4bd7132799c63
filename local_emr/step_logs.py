"""Log files as EMR writes them: ``<LogUri>/<cluster-id>/steps/<step-id>/{controller,stdout,stderr}.gz``
for steps, ``<LogUri>/<cluster-id>/node/<instance-id>/bootstrap-actions/<n>/stderr.gz`` for bootstrap actions.

Also extracts the line that explains a failure from a step's logs, for the step's FailureDetails.
"""
from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

from local_emr.s3_mirror import split_s3_uri

LOG_NAMES = ("controller", "stdout", "stderr")
# A Python or JVM exception line ("ValueError: ...", "java.io.FileNotFoundException: ...") or an
# argparse usage error ("featurize.py: error: the following arguments are required: --output").
_EXCEPTION_LINE = re.compile(
    r"^(?:(?:[\w.]+\.)?\w*(?:Error|Exception|Exit)\b.*|\S+: error: .*)$", re.MULTILINE)


def step_log_prefix(log_uri: str, cluster_id: str, step_id: str) -> str:
    return f"{log_uri.rstrip('/')}/{cluster_id}/steps/{step_id}/"


def upload_step_logs(s3_client: Any, log_dir: Path, log_uri: str | None,
                     cluster_id: str, step_id: str) -> str | None:
    """Gzip and upload the step's log files; returns the log prefix, or None without a LogUri."""
    if not log_uri:
        return None
    prefix = step_log_prefix(log_uri, cluster_id, step_id)
    bucket, key_prefix = split_s3_uri(prefix)
    for name in LOG_NAMES:
        path = log_dir / name
        body = path.read_bytes() if path.is_file() else b""
        s3_client.put_object(Bucket=bucket, Key=f"{key_prefix}{name}.gz", Body=gzip.compress(body))
    return prefix


def upload_bootstrap_stderr(s3_client: Any, log_uri: str | None, cluster_id: str, stderr: str) -> None:
    """Write the stderr of the first bootstrap action of the emulator's one node (``i-local``)."""
    if not log_uri:
        return
    bucket, key_prefix = split_s3_uri(f"{log_uri.rstrip('/')}/{cluster_id}/node/i-local/bootstrap-actions/1/")
    s3_client.put_object(Bucket=bucket, Key=f"{key_prefix}stderr.gz", Body=gzip.compress(stderr.encode()))


def failure_reason(logs: dict[str, str], return_code: int) -> tuple[str, str | None]:
    """Why a step failed and the log it says so in: the last exception line of stdout (spark-submit
    passes a Python driver's traceback there), else of stderr, else a note with the exit code."""
    for name in ("stdout", "stderr"):
        lines = _EXCEPTION_LINE.findall(logs.get(name, ""))
        if lines:
            return lines[-1].strip()[:1000], name
    return f"spark-submit exited with code {return_code}", None
