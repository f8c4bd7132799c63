"""Three nights of the real DAG on one bucket: after each, latest.json points at ONE snapshot that covers
exactly the objects under the input prefix (features + PCA table, or the quarantine list), in one PCA basis.

Night 1 publishes the sample; night 2 adds fewer than k new images and replaces one; night 3 deletes
two images and replaces the corrupt file with a valid photo.
"""
from __future__ import annotations

import io

import numpy as np
import pyarrow.parquet as pq

from fruits_emr.catalogue import FEATURIZED, QUARANTINED, from_table
from fruits_emr.layout import split_s3_uri
from fruits_emr.reader import load_latest
from fruits_spark.covariance import PcaModel
from local_emr.sample_data import upload_samples
from tests.e2e.conftest import CLASSES, INPUT_PREFIX, OUTPUT_PREFIX, PER_CLASS, SMALL_RUN

K = SMALL_RUN["k"]


def _input_keys(s3, bucket: str) -> dict[str, str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{INPUT_PREFIX}/")["Contents"]
    return {f"s3://{bucket}/{obj['Key']}": obj["ETag"].strip('"') for obj in listing}


def _parquet_rows(s3, uri: str) -> list[dict]:
    bucket, prefix = split_s3_uri(uri)
    rows = []
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/").get("Contents", []):
        if obj["Key"].endswith(".parquet"):
            rows += pq.read_table(
                io.BytesIO(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            ).to_pylist()
    return rows


def _object(s3, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def assert_exact_snapshot(s3, bucket: str, night) -> dict:
    """The published snapshot covers the input prefix exactly, in one basis; returns its catalogue."""
    assert night.result.succeeded, f"see {night.result.log_path}"
    snapshot = load_latest(bucket, OUTPUT_PREFIX, s3_client=s3)
    assert snapshot.pointer["run_uri"] == night.report.run_uri.rstrip("/")
    entries = from_table(pq.read_table(io.BytesIO(_object(s3, snapshot.pointer["snapshot"]["catalogue"]))))
    current = _input_keys(s3, bucket)
    assert {path: e.etag for path, e in entries.items()} == current  # every object once, with its content
    featurized = {path for path, e in entries.items() if e.status == FEATURIZED}
    pca_paths = snapshot.table.column("path").to_pylist()
    assert sorted(pca_paths) == sorted(featurized)  # one PCA row per featurized image, no other row
    assert set(snapshot.table.column("model_id").to_pylist()) == {snapshot.model_id}

    model = PcaModel.from_bytes(_object(s3, snapshot.pointer["snapshot"]["pca_model"] + "/model.npz"))
    features = {row["path"]: row["features"] for p in snapshot.pointer["snapshot"]["partitions"]
                for d in p["dirs"] for row in _parquet_rows(s3, d)}
    assert sorted(features) == sorted(featurized)  # the partitions hold exactly the snapshot's rows
    vectors = np.asarray(snapshot.table.column("pca").to_pylist())
    expected = model.project(np.asarray([features[path] for path in pca_paths], dtype=np.float32))
    np.testing.assert_allclose(vectors, expected, rtol=1e-4, atol=1e-3)  # one basis for every row
    return entries


def _quarantine(entries) -> dict[str, str]:
    return {path.rsplit("/", 1)[1]: e.reason for path, e in entries.items() if e.status == QUARANTINED}


def test_three_nights_publish_one_exact_snapshot_each(emulator, run_pipeline):
    s3 = emulator.client("s3")
    night1 = run_pipeline()
    bucket = night1.bucket
    entries = assert_exact_snapshot(s3, bucket, night1)
    assert _quarantine(entries) == {"empty.jpg": "empty_file", "corrupt.jpg": "corrupt_image",
                                    "notes.txt": "unsupported_extension"}
    assert len([e for e in entries.values() if e.status == FEATURIZED]) == PER_CLASS * CLASSES

    # night 2: one new image per class (fewer than k) and one image replaced by another photo
    upload_samples(s3, bucket, INPUT_PREFIX, PER_CLASS + 1, CLASSES, bad_files=False, say=lambda _: None)
    featurized_paths = sorted(p for p, e in entries.items() if e.status == FEATURIZED)
    replaced, donor = featurized_paths[0], featurized_paths[-1]
    s3.put_object(Bucket=bucket, Key=split_s3_uri(replaced)[1], Body=_object(s3, donor))
    night2 = run_pipeline(bucket=bucket)
    entries2 = assert_exact_snapshot(s3, bucket, night2)
    assert len([e for e in entries2.values() if e.status == FEATURIZED]) == (PER_CLASS + 1) * CLASSES
    assert entries2[replaced].partition == night2.report.latest["run_key"]  # featurized again
    assert _quarantine(entries2) == _quarantine(entries)  # unchanged bad files are not retried

    # night 3: two images deleted, the corrupt upload fixed
    deleted = featurized_paths[1:3]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": split_s3_uri(p)[1]} for p in deleted]})
    corrupt = next(p for p in entries if p.endswith("/corrupt.jpg"))
    s3.put_object(Bucket=bucket, Key=split_s3_uri(corrupt)[1], Body=_object(s3, donor))
    night3 = run_pipeline(bucket=bucket)
    entries3 = assert_exact_snapshot(s3, bucket, night3)
    assert not set(deleted) & set(entries3)
    assert entries3[corrupt].status == FEATURIZED
    assert _quarantine(entries3) == {"empty.jpg": "empty_file", "notes.txt": "unsupported_extension"}
    assert night3.report.latest["based_on"] == night2.report.latest["run_key"]
