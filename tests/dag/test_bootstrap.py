"""The EMR bootstrap script: shellcheck-clean, strict, refuses bad usage; its pins equal the lock file's."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from local_emr.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "bootstrap" / "install-deps.sh"
REQUIREMENTS = REPO_ROOT / "bootstrap" / "requirements-emr.txt"
LOCK = REPO_ROOT / "requirements" / "lock.txt"
SPARK_SIDE = {"tensorflow-cpu", "pillow", "numpy", "pandas", "pyarrow"}


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.split("#")[0].strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_shellcheck_passes():
    shellcheck = Path(sys.executable).with_name("shellcheck")
    result = subprocess.run([str(shellcheck), "--severity=style", str(SCRIPT)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_script_is_strict_and_executable():
    text = SCRIPT.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text and "trap " in text
    assert SCRIPT.stat().st_mode & 0o111


def test_pins_equal_the_lock_file_and_leave_spark_to_emr():
    emr, lock = pins(REQUIREMENTS), pins(LOCK)
    assert SPARK_SIDE <= set(emr)
    assert "pyspark" not in emr
    assert {name: lock.get(name) for name in emr} == emr


def test_bad_usage_fails_before_doing_anything():
    for args in ([], ["requirements-emr.txt"]):
        result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True)
        assert result.returncode == 2 and "usage:" in result.stderr
