"""The environment in which a local Airflow runs the real DAG against the emulator.

A throwaway ``AIRFLOW_HOME`` (SQLite), this repository's dags/ and plugins/, no example DAGs, the
``aws_default`` connection pointing at the emulator, and the DAG's deployment settings
(``FRUITS_EMR_BUCKET``, ``FRUITS_EMR_WEIGHTS``, ``FRUITS_EMR_POKE_INTERVAL``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

from fruits_emr.config import WEIGHTS_IMAGENET
from local_emr.paths import REPO_ROOT, SHARED_WEIGHTS
from local_emr.server import Emulator

AIRFLOW_DB = "airflow.db"  # SQLite file in AIRFLOW_HOME


def default_weights(say: Callable[[str], None] = print) -> str:
    """The real weights from ../shared when present, else ``imagenet`` (downloaded by Keras)."""
    if SHARED_WEIGHTS.is_file():
        return str(SHARED_WEIGHTS)
    say(f"NOTE: {SHARED_WEIGHTS} not found: using weights 'imagenet', which Keras downloads on "
        "first use (needs internet access from the Spark job).")
    return WEIGHTS_IMAGENET


def airflow_environment(emulator: Emulator, airflow_home: Path, bucket: str, weights: str,
                        poke_interval_s: float = 2, parallelism: int = 2) -> dict[str, str]:
    """``os.environ`` plus everything Airflow and the DAG need to run against ``emulator``."""
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / AIRFLOW_DB}",
        "AIRFLOW_CONN_AWS_DEFAULT": emulator.airflow_connection(),
        "FRUITS_EMR_BUCKET": bucket,
        "FRUITS_EMR_WEIGHTS": weights,
        "FRUITS_EMR_POKE_INTERVAL": str(poke_interval_s),
        "PYTHONPATH": os.pathsep.join(
            str(REPO_ROOT / p) for p in ("plugins", "spark_jobs", ".")),
        # `airflow standalone` starts its components as `airflow ...` commands: use this Python's
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        "SPARK_LOCAL_IP": env.get("SPARK_LOCAL_IP", "127.0.0.1"),
        "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
    })
    return env
