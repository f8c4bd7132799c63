"""Artifact upload against moto S3: content-addressed keys, unchanged files not uploaded again."""
from __future__ import annotations

import pytest

from fruits_emr.artifacts import artifact_uri, sha256_file, upload_artifacts
from fruits_emr.layout import RunLayout, split_s3_uri
from tests.dag.dag_test_env import BUCKET

LAYOUT = RunLayout(bucket=BUCKET, output_prefix="out", run_key="run-1")


@pytest.fixture
def spark_jobs(tmp_path):
    """A stand-in for spark_jobs/: two entry scripts and a one-module fruits_spark package."""
    root = tmp_path / "spark_jobs"
    (root / "fruits_spark").mkdir(parents=True)
    (root / "fruits_spark" / "__init__.py").write_text('"""pkg"""\n')
    (root / "featurize.py").write_text("print('featurize')\n")
    (root / "pca.py").write_text("print('pca')\n")
    return root


def stored_bytes(s3_hook, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    return s3_hook.get_key(key, bucket_name=bucket).get()["Body"].read()


def test_upload_is_content_addressed_and_skips_unchanged(s3_hook, spark_jobs, tmp_path):
    weights = tmp_path / "w.weights.h5"
    weights.write_bytes(b"weights-v1")
    first = upload_artifacts(s3_hook, LAYOUT, str(weights), spark_jobs)
    assert set(first.uploaded) == {"bootstrap", "requirements", "featurize", "pca", "spark_lib", "weights"}
    assert first.weights == artifact_uri(LAYOUT, weights)
    assert first.weights == f"s3://{BUCKET}/out/artifacts/{sha256_file(weights)[:16]}/w.weights.h5"
    assert stored_bytes(s3_hook, first.weights) == b"weights-v1"
    assert stored_bytes(s3_hook, first.pca) == b"print('pca')\n"

    second = upload_artifacts(s3_hook, LAYOUT, str(weights), spark_jobs)
    assert second.uploaded == () and second.to_dict() == {**first.to_dict(), "uploaded": ()}

    (spark_jobs / "pca.py").write_text("print('pca v2')\n")
    third = upload_artifacts(s3_hook, LAYOUT, str(weights), spark_jobs)
    assert third.uploaded == ("pca",) and third.pca != first.pca
    # the old version is left for running clusters
    assert stored_bytes(s3_hook, first.pca) == b"print('pca')\n"


@pytest.mark.parametrize("weights", ["imagenet", "s3://elsewhere/models/w.weights.h5"])
def test_remote_weights_are_passed_through(s3_hook, spark_jobs, weights):
    artifacts = upload_artifacts(s3_hook, LAYOUT, weights, spark_jobs)
    assert artifacts.weights == weights and "weights" not in artifacts.uploaded


def test_missing_local_weights_fail_clearly(s3_hook, spark_jobs, tmp_path):
    with pytest.raises(FileNotFoundError, match="artifact to upload is missing"):
        upload_artifacts(s3_hook, LAYOUT, str(tmp_path / "absent.h5"), spark_jobs)
