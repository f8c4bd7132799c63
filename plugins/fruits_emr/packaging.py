"""Build the ``--py-files`` zip of the Spark jobs' shared package, reproducibly (same source, same bytes)."""
from __future__ import annotations

import zipfile
from pathlib import Path

SPARK_PACKAGE = "fruits_spark"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # zip entries carry no build time, so the content hash is stable


def build_spark_lib_zip(dest_dir: Path, source_root: Path) -> Path:
    """Zip ``source_root/fruits_spark`` into ``dest_dir/fruits_spark.zip`` and return its path."""
    package_dir = source_root / SPARK_PACKAGE
    if not (package_dir / "__init__.py").is_file():
        raise FileNotFoundError(f"no Python package at {package_dir}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"{SPARK_PACKAGE}.zip"
    sources = sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for src in sources:
            info = zipfile.ZipInfo(str(src.relative_to(source_root)), date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, src.read_bytes())
    return target
