"""Retention against moto S3: what the published snapshot needs stays, everything else goes once old."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fruits_emr.layout import split_s3_uri
from fruits_emr.pointer import write_pointer
from fruits_emr.retention import apply_retention, expired_keys
from fruits_emr.s3io import write_bytes
from tests.outputs.run_outputs import BUCKET, make_layout

NOW = datetime(2026, 12, 31, tzinfo=timezone.utc)
RUNS, LOGS = "out/runs/", "out/emr-logs/"


def _pointer(published: str, partitions: list[str]) -> dict:
    return {"run_key": published, "snapshot": {"partitions": [{"run_key": p} for p in partitions]}}


def _objects(keys_and_ages: dict[str, int]) -> list[dict]:
    return [{"Key": key, "LastModified": NOW - timedelta(days=age)} for key, age in keys_and_ages.items()]


def test_published_run_stays_whole_and_partitions_in_use_keep_only_their_rows():
    objects = _objects({
        "out/runs/r3/pca/part-0.parquet": 90, "out/runs/r3/catalogue.parquet": 90,   # published
        "out/runs/r1/features/part-0.parquet": 90, "out/runs/r1/partition_stats.npz": 90,  # used partition
        "out/runs/r1/carried/part-0.parquet": 90,
        "out/runs/r1/pca/part-0.parquet": 90, "out/runs/r1/input_list.txt": 90,  # r1's superseded snapshot
        "out/runs/r2/features/part-0.parquet": 90,  # superseded partition (its images were erased)
        "out/runs/r4/features/part-0.parquet": 2,   # a recent failed run: not yet old enough
        "out/emr-logs/j-1/steps/s/stderr.gz": 31, "out/emr-logs/j-2/steps/s/stderr.gz": 5,
    })
    expired = expired_keys(objects, _pointer("r3", ["r1", "r3"]), RUNS, LOGS, NOW, retention_days=30)

    assert sorted(expired) == ["out/emr-logs/j-1/steps/s/stderr.gz", "out/runs/r1/input_list.txt",
                               "out/runs/r1/pca/part-0.parquet", "out/runs/r2/features/part-0.parquet"]


def test_nothing_under_runs_is_deleted_before_a_first_publish():
    objects = _objects({"out/runs/r1/features/part-0.parquet": 99, "out/emr-logs/j-1/x.gz": 99})
    assert expired_keys(objects, None, RUNS, LOGS, NOW, retention_days=30) == ["out/emr-logs/j-1/x.gz"]


def test_apply_retention_deletes_in_s3(s3_hook):
    layout = make_layout("manual__r3")
    keep = [f"{layout.run_uri}/pca/part-0.parquet", f"{make_layout('manual__r1').run_uri}/features/p.parquet"]
    drop = [f"{make_layout('manual__r1').run_uri}/pca/part-0.parquet", f"{layout.logs_uri}j-1/stderr.gz"]
    for uri in keep + drop:
        write_bytes(s3_hook, uri, b"x")
    write_pointer(
        s3_hook, layout.latest_uri, _pointer(layout.run_key, [make_layout("manual__r1").run_key]), None
    )

    summary = apply_retention(
        s3_hook, layout, retention_days=1, now=datetime.now(timezone.utc) + timedelta(days=2)
    )

    assert summary["deleted_run_files"] == 1 and summary["deleted_log_files"] == 1
    for uri in keep:
        assert s3_hook.check_for_key(split_s3_uri(uri)[1], bucket_name=BUCKET)
    for uri in drop:
        assert not s3_hook.check_for_key(split_s3_uri(uri)[1], bucket_name=BUCKET)
