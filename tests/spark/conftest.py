"""Spark job test fixtures: a local[2] SparkSession, a weights file, generated images, a featurize run."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from image_factory import write_image_tree
from pyspark.sql import SparkSession

from fruits_emr.packaging import build_spark_lib_zip
from fruits_spark.featurize_job import FeaturizeArgs, run_featurize
from fruits_spark.mobilenet import build_mobilenet_v2
from local_emr.paths import REPO_ROOT

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark_lib_zip(tmp_path_factory) -> Path:
    """The ``--py-files`` zip of fruits_spark, built from the source like the DAG does."""
    return build_spark_lib_zip(tmp_path_factory.mktemp("pyfiles"), REPO_ROOT / "spark_jobs")


@pytest.fixture(scope="session")
def spark(spark_lib_zip):
    """local[2]; the Python workers import fruits_spark from the zip, as on the cluster."""
    session = (
        SparkSession.builder.master("local[2]")
        .appName("fruits-spark-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.addPyFile(str(spark_lib_zip))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def weights_file(request, tmp_path_factory) -> Path:
    """The real pretrained weights when ../shared has them, else a seeded-random file for structural tests."""
    try:
        return request.getfixturevalue("real_weights")
    except pytest.skip.Exception:
        return _random_weights_file(tmp_path_factory.mktemp("weights"))


def _random_weights_file(folder: Path) -> Path:
    import keras

    keras.utils.set_random_seed(1234)
    model = build_mobilenet_v2()
    path = folder / "TEST_ONLY_seeded_random_mobilenet_v2_no_top.weights.h5"
    model.save_weights(path)
    return path


@pytest.fixture(scope="session")
def image_tree(tmp_path_factory) -> tuple[Path, dict[str, str | None]]:
    """A generated class-per-folder tree and ``{file URI: expected quarantine reason or None}``."""
    root = tmp_path_factory.mktemp("images")
    return root, write_image_tree(root)


@pytest.fixture(scope="session")
def featurized(spark, weights_file, image_tree, tmp_path_factory):
    """One featurize run over ``image_tree`` in 3 partitions: ``(args, report)``."""
    out = tmp_path_factory.mktemp("featurized")
    args = FeaturizeArgs(
        input=str(image_tree[0]), output=str(out / "features"), quarantine=str(out / "quarantine"),
        weights=str(weights_file), report=str(out / "featurize_report.json"), batch_size=8, partitions=3,
    )
    return args, run_featurize(spark, args)


@pytest.fixture(scope="session")
def real_features(spark, real_weights, real_sample, tmp_path_factory) -> str:
    """Features of 120 real photos (8 of each of 15 classes, fewer rows than the 1280 dimensions: a
    rank-deficient covariance, the case Spark ML's PCA got wrong); skips where ../shared lacks them."""
    root = tmp_path_factory.mktemp("real_images")
    for folder in sorted(p for p in real_sample.iterdir() if p.is_dir()):
        (root / folder.name).mkdir()
        for image in sorted(folder.glob("*.jpg"))[:8]:
            shutil.copy(image, root / folder.name / image.name)
    out = tmp_path_factory.mktemp("real_featurized")
    args = FeaturizeArgs(input=str(root), output=str(out / "features"), quarantine=str(out / "quarantine"),
                         weights=str(real_weights), batch_size=40)
    run_featurize(spark, args)
    return args.output
