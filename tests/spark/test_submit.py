"""Both jobs as the cluster runs them: real ``spark-submit`` processes under the Spark of the configured EMR
release (``.venv-emr``, built by ``make emr-spark-env`` from requirements/emr-spark.txt), fruits_spark
only from the --py-files zip.

The project's own PySpark runs the same ``spark-submit`` path in every end-to-end test (the emulator's
step runner, tests/e2e) and the same odd inputs in-process (tests/spark/test_featurize.py), so it is not
run a third time here.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from image_factory import class_image, encode

from fruits_emr.job_flow import EMR_RELEASE_LABEL, EMR_SPARK_VERSIONS
from local_emr.paths import REPO_ROOT

SPARK_JOBS = REPO_ROOT / "spark_jobs"
EMR_SPARK_VENV = Path(os.environ.get("FRUITS_EMR_SPARK_VENV", REPO_ROOT / ".venv-emr"))


def emr_python() -> Path:
    interpreter = EMR_SPARK_VENV / "bin" / "python"
    if not interpreter.exists():
        pytest.skip(f"no {EMR_SPARK_VENV}: run `make emr-spark-env` (make test does)")
    return interpreter


@pytest.fixture(scope="module")
def staged(tmp_path_factory, spark_lib_zip) -> Path:
    """Entry scripts copied away from the source tree (as on S3): only the zip provides the package."""
    stage = tmp_path_factory.mktemp("artifacts")
    for script in ("featurize.py", "pca.py"):
        shutil.copy(SPARK_JOBS / script, stage / script)
    shutil.copy(spark_lib_zip, stage / spark_lib_zip.name)
    return stage


def spark_submit(python: Path, stage: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SPARK_HOME")}
    env.update(PYSPARK_PYTHON=str(python), SPARK_LOCAL_IP="127.0.0.1", TF_CPP_MIN_LOG_LEVEL="2")
    command = [
        str(python.with_name("spark-submit")),
        "--master",
        "local[2]",
        "--conf",
        "spark.ui.enabled=false",
        "--py-files",
        str(stage / "fruits_spark.zip"),
        str(stage / script),
        *args,
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=stage)


@pytest.mark.emr_spark
def test_the_emr_runtime_is_the_spark_of_the_emr_release():
    version = subprocess.run([str(emr_python()), "-c", "import pyspark; print(pyspark.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == EMR_SPARK_VERSIONS[EMR_RELEASE_LABEL]


@pytest.mark.emr_spark
def test_featurize_then_pca_with_spark_submit(staged, weights_file, tmp_path):
    python = emr_python()  # its spark-submit runs the jobs, its Python the workers
    for label, seed in (("fig", 1), ("plum", 2)):
        for n in range(3):
            (tmp_path / "in" / label).mkdir(parents=True, exist_ok=True)
            (tmp_path / "in" / label / f"{n}.jpg").write_bytes(encode(class_image(seed * 10 + n), "JPEG"))
    # names whose URI form differs from their path (the inventory decodes Spark's listing), one Spark hides
    for n, name in enumerate(("a b%20c 50%.jpg", "é #1?.jpg", "_hidden.jpg")):
        (tmp_path / "in" / "fig" / name).write_bytes(encode(class_image(40 + n), "JPEG"))
    (tmp_path / "in" / "plum" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    listed = sorted(p.as_uri().replace("file:///", "file:/") for p in (tmp_path / "in").rglob("*.*"))
    input_list = tmp_path / "input_list.txt"
    input_list.write_text("\n".join([*map(unquote, listed), f"file:{tmp_path}/in/fig/deleted.jpg"]) + "\n")
    out = tmp_path / "run"

    featurize = spark_submit(python, staged, "featurize.py", "--input", str(tmp_path / "in"),
                             "--input-list", str(input_list), "--output", str(out / "features"),
                             "--quarantine", str(out / "quarantine"), "--weights", str(weights_file),
                             "--report", str(out / "featurize_report.json"), "--batch-size", "4")
    assert featurize.returncode == 0, featurize.stderr[-3000:]
    assert "images found 11 = featurized 9 + quarantined 2" in featurize.stdout
    report = json.loads((out / "featurize_report.json").read_text())
    assert (report["featurized"], report["quarantine_by_reason"]["missing_file"]) == (9, 1)

    pca = spark_submit(
        python,
        staged,
        "pca.py",
        "--input",
        str(out / "features"),
        "--output",
        str(out / "pca"),
        "--k",
        "3",
        "--report",
        str(out / "pca_report.json"),
    )
    assert pca.returncode == 0, pca.stderr[-3000:]
    report = json.loads((out / "pca_report.json").read_text())
    assert (report["images"], report["k"], report["input_dim"]) == (9, 3, 1280)
    assert {"model.json", "model.npz", "stats.npz"} <= {p.name for p in (out / "pca_model").iterdir()}

    too_big = spark_submit(
        python, staged, "pca.py", "--input", str(out / "features"), "--output", str(out / "pca2"), "--k", "10"
    )
    assert too_big.returncode == 2
    # spark-submit merges the Python driver's stderr into its stdout
    assert "pca: error: --k 10 is larger than the number of rows (9)" in too_big.stdout
