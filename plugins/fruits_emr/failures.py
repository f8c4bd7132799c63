"""Failures that a retry cannot fix: they fail the task at once, whatever its ``retries``.

Airflow never retries a task that raised ``AirflowFailException``. The project's errors for a bad
configuration, an over-budget run, invalid outputs, a refused publish and a failed EMR step derive from
``PermanentFailure``, so the DAG can retry every idempotent task against transient AWS errors without
paying three times for a run that can only fail again.
"""
from __future__ import annotations

from airflow.sdk.exceptions import AirflowFailException


class PermanentFailure(AirflowFailException):
    """A failure that would repeat identically on a retry."""
