"""plan_inputs against moto S3: the listing with ETags, the files a plan writes, and clear refusals."""
from __future__ import annotations

import json

import pytest

from fruits_emr import catalogue
from fruits_emr.catalogue import PENDING, QUARANTINED
from fruits_emr.incremental import SnapshotTooSmall, list_input_objects, plan_inputs, read_input_list
from fruits_emr.s3io import read_bytes
from tests.outputs.run_outputs import BUCKET, INPUT_PREFIX, put_inputs

INPUT_URI = f"s3://{BUCKET}/{INPUT_PREFIX}/"


def _plan(s3_hook, layout, max_images=100, full_reprocess=False, k=1, input_uri=INPUT_URI, max_bytes=10_000):
    return plan_inputs(s3_hook, layout, input_uri, max_images=max_images, k=k, full_reprocess=full_reprocess,
                       max_image_bytes=max_bytes)


def test_missing_prefix_is_a_clear_error(s3_hook, layout):
    put_inputs(s3_hook, ["apple/1.jpg"], prefix="images-old")  # a sibling prefix must not count
    with pytest.raises(ValueError, match="missing or holds no objects"):
        _plan(s3_hook, layout)


def test_missing_bucket_is_a_clear_error(s3_hook, layout):
    with pytest.raises(ValueError, match="NoSuchBucket"):
        _plan(s3_hook, layout, input_uri="s3://no-such-bucket-here/images/")


@pytest.mark.parametrize("input_uri", [f"s3://{BUCKET}/out/raw/", f"s3://{BUCKET}/", f"s3://{BUCKET}/out/"])
def test_inputs_overlapping_the_outputs_are_refused(s3_hook, layout, input_uri):
    put_inputs(s3_hook, ["apple/1.jpg"], prefix="out/raw")
    with pytest.raises(ValueError, match="overlap"):
        _plan(s3_hook, layout, input_uri=input_uri)


def test_listing_carries_etag_and_size_and_skips_folder_markers(s3_hook):
    put_inputs(s3_hook, ["kiwi/2.jpg", "apple/1.jpg"])
    s3_hook.load_bytes(b"", key=f"{INPUT_PREFIX}/banana/", bucket_name=BUCKET)  # console folder marker

    objects = list_input_objects(s3_hook, INPUT_URI)

    assert [o.path for o in objects] == [f"{INPUT_URI}apple/1.jpg", f"{INPUT_URI}kiwi/2.jpg"]
    head = s3_hook.head_object(f"{INPUT_PREFIX}/apple/1.jpg", BUCKET)
    assert objects[0].etag == head["ETag"].strip('"') and objects[0].size == head["ContentLength"]


def test_first_run_writes_input_list_plan_catalogue_and_snapshot_plan(s3_hook, layout):
    uris = put_inputs(s3_hook, ["kiwi/2.jpg", "apple/1.jpg", "notes.txt", "bad\nname.jpg"])

    plan = _plan(s3_hook, layout)

    assert plan["changes"] and plan["selected"] == 3 and plan["total_found"] == 4
    assert plan["based_on"] is None and plan["base_pointer_etag"] is None
    assert read_input_list(s3_hook, layout) == sorted(u for u in uris if "\n" not in u)
    entries = catalogue.read_catalogue(s3_hook, layout.plan_catalogue_uri)
    assert {path: e.status for path, e in entries.items()} == {
        u: QUARANTINED if "\n" in u else PENDING for u in uris}
    document = json.loads(read_bytes(s3_hook, layout.snapshot_plan_uri))
    assert document["kept_partitions"] == document["carried_from"] == []
    assert document["new_partition"]["dirs"] == [layout.features_uri, layout.carried_uri]
    assert document["plan_catalogue"] == layout.plan_catalogue_uri


def test_snapshot_that_cannot_hold_k_images_is_refused_before_any_cluster(s3_hook, layout):
    put_inputs(s3_hook, ["apple/1.jpg", "apple/2.jpg"])
    with pytest.raises(SnapshotTooSmall, match="at most 2 images, fewer than k=3"):
        _plan(s3_hook, layout, k=3)


def test_too_large_objects_are_quarantined_at_plan_time(s3_hook, layout):
    put_inputs(s3_hook, ["apple/1.jpg"])
    s3_hook.load_bytes(b"x" * 2000, key=f"{INPUT_PREFIX}/apple/huge.jpg", bucket_name=BUCKET)

    plan = _plan(s3_hook, layout, max_bytes=1000)

    assert plan["selected"] == 1
    entry = catalogue.read_catalogue(s3_hook, layout.plan_catalogue_uri)[f"{INPUT_URI}apple/huge.jpg"]
    assert (entry.status, entry.reason) == (QUARANTINED, "too_large")
