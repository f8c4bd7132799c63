"""Fault injection for tests: make the next call of an EMR action fail *after* it took effect.

That is what a dropped connection or a timed-out response does to a client: the request was
performed, the caller sees an error and retries. Tests use it to check that retries create no
duplicates (e.g. steps added twice). Faults are armed in the emulator's process.
"""
from __future__ import annotations

import threading
from collections import Counter

from moto.core.exceptions import ServiceException

_armed: Counter[str] = Counter()
_lock = threading.Lock()


class InjectedFault(ServiceException):
    """The error the client sees; not one botocore retries by itself, so the caller's retry shows."""

    code = "InternalServerError"  # the error EMR documents for AddJobFlowSteps


def fail_after(action: str, times: int = 1) -> None:
    """Arm ``times`` failures of ``action`` (e.g. ``"AddJobFlowSteps"``)."""
    with _lock:
        _armed[action] += times


def take(action: str) -> bool:
    """Whether this call of ``action`` must fail (consumes one armed failure)."""
    with _lock:
        if _armed[action] <= 0:
            return False
        _armed[action] -= 1
        return True


def raise_if_armed(action: str) -> None:
    if take(action):
        raise InjectedFault(f"{action} was performed, but the emulator was told to answer with an error")
