"""The files the cluster runs, as an Airflow worker finds them: a built job bundle, or the repository.

A job bundle is one flat folder: the bootstrap script and the Spark-side pins it installs, both
spark-submit entry scripts, and the ``--py-files`` zip of ``fruits_spark``. ``make dist`` builds one
(``python -m fruits_emr.job_bundle DEST``). Managed Airflow deploys only some folders (MWAA: the DAGs
folder and a plugins.zip; Astronomer: an image with dags/, plugins/ and include/), not this repository's
spark_jobs/ and bootstrap/, so a deployment ships the bundle too and names its folder in
``FRUITS_EMR_JOB_BUNDLE``. Without that setting the files come from the repository tree this module
sits in (development, ``make demo``, the tests), the zip built on the fly: the same bytes either way.

Sources: MWAA unpacks plugins.zip into /usr/local/airflow/plugins and syncs non-DAG files kept under the
DAGs folder to every container (https://docs.aws.amazon.com/mwaa/latest/userguide/configuring-dag-import-plugins.html);
its startup script sets environment variables on every component
(https://docs.aws.amazon.com/mwaa/latest/userguide/using-startup-script.html).
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fruits_emr.packaging import SPARK_PACKAGE, build_spark_lib_zip

# Artifact name -> file name in a bundle, and where ``build_bundle`` takes it from in the repository.
BUNDLE_FILES = {
    "bootstrap": "install-deps.sh",
    "requirements": "requirements-emr.txt",
    "featurize": "featurize.py",
    "pca": "pca.py",
    "spark_lib": f"{SPARK_PACKAGE}.zip",  # what build_spark_lib_zip writes
}
_REPOSITORY_SOURCES = {
    "bootstrap": "bootstrap/install-deps.sh",
    "requirements": "bootstrap/requirements-emr.txt",
    "featurize": "spark_jobs/featurize.py",
    "pca": "spark_jobs/pca.py",
}
REPOSITORY = Path(__file__).resolve().parents[2]  # meaningful only when running from a checkout


def build_bundle(dest: Path, repository: Path = REPOSITORY) -> dict[str, Path]:
    """Write a job bundle from ``repository`` into ``dest``; its files by artifact name."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, source in _REPOSITORY_SOURCES.items():
        shutil.copyfile(repository / source, dest / BUNDLE_FILES[name])
    build_spark_lib_zip(dest, repository / "spark_jobs")
    return bundle_files(dest)


def missing_files(bundle: Path) -> list[str]:
    """The bundle's file names absent from ``bundle`` (all of them when the folder does not exist)."""
    return [file_name for file_name in BUNDLE_FILES.values() if not (bundle / file_name).is_file()]


def bundle_files(bundle: Path) -> dict[str, Path]:
    """The files of the bundle at ``bundle`` by artifact name; ``FileNotFoundError`` if one is missing."""
    missing = missing_files(bundle)
    if missing:
        raise FileNotFoundError(f"job bundle {bundle} lacks {', '.join(missing)} (build it with `make dist`)")
    return {name: bundle / file_name for name, file_name in BUNDLE_FILES.items()}


@contextmanager
def job_files(bundle: str) -> Iterator[dict[str, Path]]:
    """The job files by artifact name: from the bundle folder ``bundle``, or ("") from the repository."""
    if bundle:
        yield bundle_files(Path(bundle))
        return
    with tempfile.TemporaryDirectory(prefix="fruits-emr-bundle-") as scratch:
        yield build_bundle(Path(scratch))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fruits_emr.job_bundle",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("dest", type=Path, help="folder to write the bundle into (created if needed)")
    dest = parser.parse_args(argv).dest
    for path in build_bundle(dest).values():
        print(path)


if __name__ == "__main__":
    main()
