"""Which input objects the plan quarantines before any cluster sees them, and why.

Some S3 keys cannot travel safely through the pipeline: the run's input list is one URI per line, and
Hadoop's ``Path`` (what Spark reads with on EMR) normalises keys that S3 keeps as they are. Such a key
would be "missing" every night and fail or block the run, so it becomes a quarantine record instead:

- ``unsupported_key``: control characters (C0, DEL, C1 such as NEL ``\\x85``) or the Unicode line and
  paragraph separators (which split the input list), white space at either end of a path segment, and
  empty, ``.`` or ``..`` segments (``a//b.jpg``, ``a/./b.jpg``, ``a/../b.jpg``), which Hadoop collapses;
- ``too_large``: objects above the size limit (a setting), so one huge upload cannot abort the job
  (a Spark ``binaryFile`` row holds at most 2 GiB) or stall it.

S3 itself allows any UTF-8 key (Amazon S3 User Guide, "Naming Amazon S3 objects": "characters that
might require special handling" include ASCII control characters), so these checks cannot be left to S3.
"""
from __future__ import annotations

import unicodedata

UNSUPPORTED_KEY = "unsupported_key"
TOO_LARGE = "too_large"
PLAN_REASON_CODES = (UNSUPPORTED_KEY, TOO_LARGE)
DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024
_LINE_SEPARATORS = frozenset("\u2028\u2029")


def _has_control_character(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" or char in _LINE_SEPARATORS for char in text)


def key_problem(relative_key: str) -> str | None:
    """Why a key (relative to the input prefix) cannot be processed, or ``None`` when it can."""
    if _has_control_character(relative_key):
        return "the key holds a control or line-separator character"
    for segment in relative_key.split("/"):
        if segment in ("", ".", ".."):
            return (
                f"the key has an empty, '.' or '..' path segment ({relative_key!r}), which Hadoop normalises"
            )
        if segment != segment.strip():
            return f"a path segment of the key starts or ends with white space ({segment!r})"
    return None


def quarantine_reason(relative_key: str, size: int, max_bytes: int) -> tuple[str, str] | None:
    """``(reason, detail)`` when the plan must quarantine this object, else ``None``."""
    problem = key_problem(relative_key)
    if problem:
        return UNSUPPORTED_KEY, problem
    if size > max_bytes:
        return TOO_LARGE, f"{size} bytes is above the limit of {max_bytes} bytes"
    return None
