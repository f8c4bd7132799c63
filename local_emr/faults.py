"""Fault injection for tests, armed in the emulator's process.

- ``fail_after``: the next call of an EMR action fails *after* it took effect. That is what a dropped
  connection or a timed-out response does to a client: the request was performed, the caller sees an
  error and retries. Tests use it to check that retries create no duplicates (e.g. steps added twice).
- ``fail_cluster_start``: the next cluster the step runner finds with a step to run never starts:
  it ends TERMINATED_WITH_ERRORS with the given StateChangeReason (a bootstrap action failure, no
  capacity, a bad role) and its steps are cancelled, as EMR does; a bootstrap failure also leaves a
  bootstrap-action stderr under the cluster's LogUri.
"""
from __future__ import annotations

import threading
from collections import Counter

from moto.core.exceptions import ServiceException

_armed: Counter[str] = Counter()
_cluster_start_failures: list[tuple[str, str]] = []
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


def fail_cluster_start(code: str = "BOOTSTRAP_FAILURE",
                       message: str = "On the master instance (i-local), bootstrap action 1 returned a "
                                      "non-zero return code") -> None:
    """Arm one cluster start failure with EMR's StateChangeReason ``code`` and ``message``."""
    with _lock:
        _cluster_start_failures.append((code, message))


def take_cluster_start_failure() -> tuple[str, str] | None:
    """The armed (code, message) for the cluster about to start, if any (consumes it)."""
    with _lock:
        return _cluster_start_failures.pop(0) if _cluster_start_failures else None
