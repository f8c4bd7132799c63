"""Airflow's plugins folder, as ``make airflow-ui`` and docker-compose.yaml set it, loads cleanly.

Airflow imports every ``.py`` under its plugins folder as a top-level module named after the file,
so ``plugins/fruits_emr/packaging.py`` would replace the ``packaging`` library in the scheduler and
DAG processor (seen as "No module named 'packaging.requirements'" import errors in the UI) unless
``plugins/.airflowignore`` keeps the library out of plugin discovery.
"""
from __future__ import annotations

import json
import subprocess
import sys

from local_emr.paths import REPO_ROOT

PLUGINS = REPO_ROOT / "plugins"
_PROBE = f"""
import json, sys
from airflow import plugins_manager
plugins_manager.ensure_plugins_loaded()
print(json.dumps(sorted(
    name for name, module in list(sys.modules.items())
    if not name.startswith("fruits_emr")
    and str(getattr(module, "__file__", None) or "").startswith({str(PLUGINS)!r}))))
"""


def test_plugins_folder_does_not_shadow_installed_modules(tmp_path):
    env = {"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PATH": "/usr/bin:/bin"}
    probe = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                           text=True, timeout=120, check=True)

    shadowing = json.loads(probe.stdout.strip().splitlines()[-1])
    assert shadowing == [], f"plugins/ files imported as top-level modules: {shadowing}"
