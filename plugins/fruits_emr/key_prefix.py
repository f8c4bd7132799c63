"""The one rule for a run's S3 key prefixes (``input_prefix``, ``output_prefix``).

The Params use ``PREFIX_PATTERN`` as their JSON-schema pattern (the trigger form refuses a bad prefix
before the run starts) and ``check_config`` uses ``is_valid_prefix`` (a conf that bypassed the form is
refused before any AWS call). A prefix is one or more segments of the characters Amazon S3 calls safe
in keys (S3 User Guide, "Naming Amazon S3 objects": 0-9 a-z A-Z ! - _ . * ' ( )), minus ``*``, joined by
single "/" and optionally ending in "/", and:
- no segment is "." or "..": Hadoop's ``Path`` normalises them away, so Spark would read or write other
  keys than those S3 lists;
- no glob character (``* ? [ ] { }``): Hadoop expands globs in input paths.
"""
from __future__ import annotations

import posixpath
import re

_SEGMENT = r"[A-Za-z0-9!_.'()-]+"
_DOT_SEGMENT = r"\.{1,2}(?:/|$)"
PREFIX_PATTERN = rf"^(?!{_DOT_SEGMENT})(?!.*/{_DOT_SEGMENT}){_SEGMENT}(?:/{_SEGMENT})*/?$"
PREFIX_RULE = (
    "'/'-separated segments of letters, digits and !_.'()- like 'fruits/raw' (no '.' or '..' segment, "
    "no glob character *?[]{}, no leading or doubled '/')"
)


def is_valid_prefix(prefix: str) -> bool:
    """Whether ``prefix`` follows the rule (the whole string: a trailing newline is refused too)."""
    return re.fullmatch(PREFIX_PATTERN, prefix) is not None


def normalised_prefix(prefix: str) -> str:
    """The key folder a prefix names once empty, "." and ".." segments are resolved, without end slashes."""
    return posixpath.normpath("/" + prefix).strip("/")
