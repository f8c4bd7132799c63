"""DAG integrity: parses without errors, offline, without heavy imports; documented and scheduled right."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from local_emr.paths import REPO_ROOT
from tests.dag.dag_test_env import DAG_FILE

PARSER = Path(__file__).with_name("parse_offline.py")


def test_parsing_is_offline_and_imports_nothing_heavy():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        str(REPO_ROOT / p) for p in ("plugins", "spark_jobs", "."))}
    out = subprocess.run(
        [sys.executable, str(PARSER), str(DAG_FILE.parent)],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["import_errors"] == {}
    assert result["dag_ids"] == ["fruits_features"]
    assert result["heavy_modules"] == []
    assert result["connection_attempts"] == []


def test_dag_level_settings(dag):
    assert dag.doc_md and "fruits_features" in dag.doc_md
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.timetable.expression == "30 1 * * *"  # nightly, 01:30 UTC
    assert dag.owner == "fruits-emr" and set(dag.tags) >= {"emr", "spark"}


def test_every_task_has_a_one_line_doc(dag):
    for task in dag.tasks:
        assert task.doc_md and "\n" not in task.doc_md.strip(), task.task_id
