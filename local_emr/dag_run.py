"""Run the ``fruits_features`` DAG once with ``airflow dags test``, in a child process.

The child gets the environment from ``airflow_env``; its whole output goes to a log file, which
is where the task logs (including EMR step failure reasons) end up.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from local_emr.airflow_env import AIRFLOW_DB

DAG_ID = "fruits_features"


@dataclass(frozen=True)
class DagTestResult:
    succeeded: bool
    seconds: float
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def run_dag_test(env: dict[str, str], log_path: Path, conf: dict | None = None,
                 timeout_s: float = 1800) -> DagTestResult:
    """Create the Airflow database if missing, then run the DAG once; never raises on a failed run."""
    airflow = [sys.executable, "-m", "airflow"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_path.open("w") as log:
        if not Path(env["AIRFLOW_HOME"], AIRFLOW_DB).exists():
            subprocess.run([*airflow, "db", "migrate"], env=env, stdout=log,
                           stderr=subprocess.STDOUT, check=True, timeout=timeout_s)
        command = [*airflow, "dags", "test", DAG_ID, "--conf", json.dumps(conf or {})]
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        run = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                             timeout=timeout_s)
    return DagTestResult(run.returncode == 0, time.monotonic() - started, log_path)
