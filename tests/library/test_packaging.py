"""The --py-files zip: contains the package, importable, and byte-identical when rebuilt."""
import hashlib
import subprocess
import sys
import zipfile

import pytest

from fruits_emr.packaging import SPARK_PACKAGE, build_spark_lib_zip
from local_emr.paths import REPO_ROOT

SPARK_JOBS = REPO_ROOT / "spark_jobs"


def test_zip_holds_every_module_of_the_package_and_no_bytecode(tmp_path):
    archive = build_spark_lib_zip(tmp_path, SPARK_JOBS)
    names = zipfile.ZipFile(archive).namelist()
    assert f"{SPARK_PACKAGE}/__init__.py" in names
    assert all(name.startswith(f"{SPARK_PACKAGE}/") and name.endswith(".py") for name in names)


def test_rebuilding_gives_the_same_bytes(tmp_path):
    first = build_spark_lib_zip(tmp_path / "a", SPARK_JOBS).read_bytes()
    second = build_spark_lib_zip(tmp_path / "b", SPARK_JOBS).read_bytes()
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()


def test_package_imports_from_the_zip_alone(tmp_path):
    archive = build_spark_lib_zip(tmp_path, SPARK_JOBS)
    code = f"import sys; sys.path.insert(0, {str(archive)!r}); import {SPARK_PACKAGE} as p; print(p.__file__)"
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    assert str(archive) in out.stdout


def test_missing_package_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Python package"):
        build_spark_lib_zip(tmp_path / "out", source_root=tmp_path)
