"""Fixtures shared by every test area: the slow-tier markers, and the ../shared data tests may use."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from local_emr.paths import REPO_ROOT, SHARED_SAMPLE, SHARED_WEIGHTS

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Never a developer's own Airflow: a fresh home and SQLite database for this test session. Set here, in
# the conftest pytest loads first, because Airflow reads them once, when any module first imports it
# (collecting tests/e2e or tests/benchmarks imports fruits_emr, which imports Airflow).
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="fruits-tests-airflow-"))
os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO_ROOT / "dags")

# The slow tiers (markers registered in pyproject.toml) by test folder or file, relative to tests/.
SLOW_TIERS = {
    "spark": ("spark", "benchmarks/test_backend.py", "benchmarks/test_harness.py",
              "local_emr/test_local_emr_steps.py", "local_emr/test_local_emr_clusters.py"),
    "airflow_db": ("dag/test_dag_run.py", "dag/test_iam_dag_run.py"),
    "e2e": ("e2e",),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under a slow tier's folders and files with that tier."""
    tests_dir = Path(__file__).parent
    for item in items:
        where = item.path.relative_to(tests_dir).as_posix()
        for marker, places in SLOW_TIERS.items():
            if any(where == place or where.startswith(f"{place}/") for place in places):
                item.add_marker(marker)


@pytest.fixture(scope="session")
def real_weights() -> Path:
    """The pretrained ImageNet MobileNetV2 weights from ../shared; skips the test where they are absent."""
    if not SHARED_WEIGHTS.is_file():
        pytest.skip(f"pretrained weights not found at {SHARED_WEIGHTS} (see ../shared/README.md)")
    return SHARED_WEIGHTS


@pytest.fixture(scope="session")
def real_sample() -> Path:
    """The real Fruits-360 sample from ../shared; skips the test where it is absent."""
    if not SHARED_SAMPLE.is_dir():
        pytest.skip(f"real fruit images not found at {SHARED_SAMPLE} (see ../shared/README.md)")
    return SHARED_SAMPLE
