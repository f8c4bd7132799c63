"""Both jobs as the cluster runs them: real ``spark-submit``, fruits_spark only from the --py-files zip."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from image_factory import class_image, encode

SPARK_JOBS = Path(__file__).resolve().parents[2] / "spark_jobs"
SPARK_SUBMIT = Path(sys.executable).with_name("spark-submit")


@pytest.fixture(scope="module")
def staged(tmp_path_factory, spark_lib_zip) -> Path:
    """Entry scripts copied away from the source tree (as on S3): only the zip provides the package."""
    stage = tmp_path_factory.mktemp("artifacts")
    for script in ("featurize.py", "pca.py"):
        shutil.copy(SPARK_JOBS / script, stage / script)
    shutil.copy(spark_lib_zip, stage / spark_lib_zip.name)
    return stage


def spark_submit(stage: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1", TF_CPP_MIN_LOG_LEVEL="2")
    command = [str(SPARK_SUBMIT), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
               "--py-files", str(stage / "fruits_spark.zip"), str(stage / script), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=stage)


def test_featurize_then_pca_with_spark_submit(staged, weights_file, tmp_path):
    for label, seed in (("fig", 1), ("plum", 2)):
        for n in range(3):
            (tmp_path / "in" / label).mkdir(parents=True, exist_ok=True)
            (tmp_path / "in" / label / f"{n}.jpg").write_bytes(encode(class_image(seed * 10 + n), "JPEG"))
    (tmp_path / "in" / "plum" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "run"

    featurize = spark_submit(staged, "featurize.py", "--input", str(tmp_path / "in"),
                             "--output", str(out / "features"),
                             "--quarantine", str(out / "quarantine"), "--weights", str(weights_file),
                             "--report", str(out / "featurize_report.json"), "--batch-size", "4")
    assert featurize.returncode == 0, featurize.stderr[-3000:]
    assert "images found 7 = featurized 6 + quarantined 1" in featurize.stdout
    assert json.loads((out / "featurize_report.json").read_text())["featurized"] == 6

    pca = spark_submit(staged, "pca.py", "--input", str(out / "features"), "--output", str(out / "pca"),
                       "--k", "3", "--report", str(out / "pca_report.json"))
    assert pca.returncode == 0, pca.stderr[-3000:]
    report = json.loads((out / "pca_report.json").read_text())
    assert (report["images"], report["k"], report["input_dim"]) == (6, 3, 1280)
    assert (out / "pca_model" / "metadata").is_dir()

    too_big = spark_submit(staged, "pca.py", "--input", str(out / "features"), "--output", str(out / "pca2"),
                           "--k", "7")
    assert too_big.returncode == 2
    # spark-submit merges the Python driver's stderr into its stdout
    assert "pca: error: --k 7 is larger than the number of rows (6)" in too_big.stdout
