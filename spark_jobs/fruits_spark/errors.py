"""The one exception type for bad job input: the entry scripts turn it into a one-line message and exit 2."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class JobInputError(ValueError):
    """The job cannot run on what it was given (missing weights, empty input, impossible k, ...)."""


@contextmanager
def missing_input_is(message: str) -> Iterator[None]:
    """Turn a ``FileNotFoundError`` raised in the block into a ``JobInputError`` saying ``message``."""
    try:
        yield
    except FileNotFoundError as exc:
        raise JobInputError(message) from exc
