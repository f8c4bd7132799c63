"""The schedule is a deployment setting, and unpausing the DAG never starts a run nobody asked for."""
from __future__ import annotations

import importlib.util
from datetime import UTC, datetime

import pytest
from airflow.timetables.base import TimeRestriction

from fruits_emr.config import NIGHTLY_SCHEDULE, EnvDefaults
from tests.dag.conftest import DAG_FILE


def parse_dag(monkeypatch, schedule: str | None):
    """The DAG as the DAG file builds it with ``FRUITS_EMR_SCHEDULE`` set (or unset)."""
    if schedule is None:
        monkeypatch.delenv("FRUITS_EMR_SCHEDULE", raising=False)
    else:
        monkeypatch.setenv("FRUITS_EMR_SCHEDULE", schedule)
    spec = importlib.util.spec_from_file_location("fruits_features_under_test", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def first_scheduled_run(dag):
    """When the scheduler would start the first run of a DAG that was just unpaused (no run yet)."""
    from airflow.serialization.serialized_objects import DagSerialization

    scheduled = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    restriction = TimeRestriction(earliest=scheduled.start_date, latest=None, catchup=scheduled.catchup)
    return scheduled.timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)


@pytest.mark.parametrize("value, expected", [
    (None, NIGHTLY_SCHEDULE), ("0 3 * * 1", "0 3 * * 1"), ("none", None), ("None", None), ("", None),
])
def test_schedule_comes_from_the_deployment(value, expected):
    env = {} if value is None else {"FRUITS_EMR_SCHEDULE": value}
    assert EnvDefaults.from_env(env).schedule == expected


def test_first_unpause_waits_for_the_next_nightly_slot(monkeypatch):
    dag = parse_dag(monkeypatch, None)
    assert dag.catchup is False and dag.max_active_runs == 1
    first = first_scheduled_run(dag)
    assert first.run_after > datetime.now(UTC)  # not the 01:30 that has already passed
    assert (first.run_after.hour, first.run_after.minute) == (1, 30)


def test_without_a_schedule_nothing_is_ever_scheduled(monkeypatch):
    dag = parse_dag(monkeypatch, "none")
    assert first_scheduled_run(dag) is None
    assert dag.description.startswith("Fruit photos -> MobileNetV2 features")
