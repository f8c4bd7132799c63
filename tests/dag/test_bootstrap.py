"""The EMR bootstrap script: shellcheck-clean, strict, refuses bad usage, installs with hashes only; its pins
equal the lock file's."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from local_emr.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "bootstrap" / "install-deps.sh"
REQUIREMENTS = REPO_ROOT / "bootstrap" / "requirements-emr.txt"
TOP_LEVEL = REPO_ROOT / "bootstrap" / "requirements-emr.in"
LOCK = REPO_ROOT / "requirements" / "lock.txt"
SPARK_SIDE = {"tensorflow-cpu", "pillow", "numpy", "pandas", "pyarrow"}


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s\\]+)", line.split("#")[0].strip().rstrip("\\ "))
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
    top_level, emr, lock = pins(TOP_LEVEL), pins(REQUIREMENTS), pins(LOCK)
    assert SPARK_SIDE <= set(top_level) and top_level.items() <= emr.items()
    assert "pyspark" not in emr
    assert {name: lock.get(name) for name in emr} == emr


def test_every_package_is_pinned_with_a_hash_and_installed_with_require_hashes():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", REQUIREMENTS.read_text().split("\n", 2)[2])
    assert len(blocks) == len(pins(REQUIREMENTS)) > len(pins(TOP_LEVEL))
    for block in blocks:
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), block.splitlines()[0]
    script = SCRIPT.read_text()
    assert "--require-hashes" in script and "--no-index --find-links" in script


def test_bad_usage_fails_before_doing_anything():
    for args in ([], ["requirements-emr.txt"], ["s3://b/requirements-emr.txt", "https://pypi.org/simple"]):
        result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True)
        assert result.returncode == 2 and "usage:" in result.stderr
