"""Incremental planning against moto S3: what a run selects, what it defers, and clear errors."""
from __future__ import annotations

import gzip

import pytest

from fruits_emr.incremental import plan_inputs, read_input_list, read_processed_uris, write_processed_uris
from fruits_emr.layout import split_s3_uri
from tests.outputs.run_outputs import BUCKET, INPUT_PREFIX, make_layout, put_inputs

INPUT_URI = f"s3://{BUCKET}/{INPUT_PREFIX}"


def _plan(s3_hook, layout, max_images=100, full_reprocess=False):
    return plan_inputs(s3_hook, layout, INPUT_URI, max_images=max_images, full_reprocess=full_reprocess)


def test_missing_prefix_is_a_clear_error(s3_hook, layout):
    put_inputs(s3_hook, ["apple/1.jpg"], prefix="images-old")  # a sibling prefix must not count
    with pytest.raises(ValueError, match="missing or holds no objects"):
        _plan(s3_hook, layout)


def test_missing_bucket_is_a_clear_error(s3_hook, layout):
    with pytest.raises(ValueError, match="NoSuchBucket"):
        plan_inputs(s3_hook, layout, "s3://no-such-bucket-here/images", 10, False)


@pytest.mark.parametrize("input_uri", [f"s3://{BUCKET}/out/raw", f"s3://{BUCKET}/", f"s3://{BUCKET}/out"])
def test_inputs_overlapping_the_outputs_are_refused(s3_hook, layout, input_uri):
    put_inputs(s3_hook, ["apple/1.jpg"], prefix="out/raw")
    with pytest.raises(ValueError, match="overlap"):
        plan_inputs(s3_hook, layout, input_uri, 10, False)


def test_non_positive_cap_is_refused(s3_hook, layout):
    put_inputs(s3_hook, ["apple/1.jpg"])
    with pytest.raises(ValueError, match="max_images"):
        _plan(s3_hook, layout, max_images=0)


def test_first_run_selects_everything_sorted_without_filtering(s3_hook, layout):
    uris = put_inputs(s3_hook, ["kiwi/2.jpg", "apple/1.jpg", "notes.txt", "apple/empty.png"])
    s3_hook.load_bytes(b"", key=f"{INPUT_PREFIX}/banana/", bucket_name=BUCKET)  # console folder marker

    plan = _plan(s3_hook, layout)

    assert plan == {"total_found": 4, "already_processed": 0, "selected": 4, "deferred": 0,
                    "input_list_uri": layout.input_list_uri}
    assert read_input_list(s3_hook, layout) == sorted(uris)


def test_second_run_picks_only_new_keys(s3_hook):
    first = make_layout("scheduled__2026-11-23T02:00:00+00:00")
    old = put_inputs(s3_hook, ["apple/1.jpg", "apple/2.jpg"])
    _plan(s3_hook, first)
    write_processed_uris(s3_hook, first, read_input_list(s3_hook, first))  # what publish records
    new = put_inputs(s3_hook, ["banana/1.jpg", "apple/3.jpg"])

    second = make_layout("scheduled__2026-11-24T02:00:00+00:00")
    plan = _plan(s3_hook, second)

    assert plan["total_found"] == 4 and plan["already_processed"] == 2
    assert plan["selected"] == 2 and plan["deferred"] == 0
    assert read_input_list(s3_hook, second) == sorted(new)
    assert read_input_list(s3_hook, first) == sorted(old)  # runs never overwrite each other


def test_full_reprocess_ignores_the_manifest(s3_hook, layout):
    uris = put_inputs(s3_hook, ["apple/1.jpg", "apple/2.jpg", "kiwi/1.jpg"])
    write_processed_uris(s3_hook, layout, uris[:2])

    plan = _plan(s3_hook, layout, full_reprocess=True)

    assert plan["already_processed"] == 2 and plan["selected"] == 3
    assert read_input_list(s3_hook, layout) == sorted(uris)


def test_cap_defers_the_rest_to_the_next_run(s3_hook):
    uris = sorted(put_inputs(s3_hook, [f"apple/{i:02d}.jpg" for i in range(7)]))
    first, second = make_layout("manual__1"), make_layout("manual__2")

    plan = _plan(s3_hook, first, max_images=5)
    assert (plan["selected"], plan["deferred"]) == (5, 2)
    assert read_input_list(s3_hook, first) == uris[:5]

    write_processed_uris(s3_hook, first, read_input_list(s3_hook, first))
    plan = _plan(s3_hook, second, max_images=5)
    assert (plan["selected"], plan["deferred"], plan["already_processed"]) == (2, 0, 5)
    assert read_input_list(s3_hook, second) == uris[5:]


def test_all_processed_gives_an_empty_input_list(s3_hook, layout):
    write_processed_uris(s3_hook, layout, put_inputs(s3_hook, ["apple/1.jpg"]))
    plan = _plan(s3_hook, layout)
    assert (plan["selected"], plan["deferred"]) == (0, 0)
    assert read_input_list(s3_hook, layout) == []


def test_listing_follows_every_page(s3_hook, layout):
    client = s3_hook.get_conn()
    for i in range(1003):  # one more page than ListObjectsV2's 1000 keys
        client.put_object(Bucket=BUCKET, Key=f"{INPUT_PREFIX}/apple/{i:04d}.jpg", Body=b"x")
    plan = _plan(s3_hook, layout, max_images=2000)
    assert plan["total_found"] == plan["selected"] == 1003


def test_manifest_is_gzip_text_with_one_uri_per_line(s3_hook, layout):
    uris = put_inputs(s3_hook, ["b.jpg", "a.jpg"])
    assert read_processed_uris(s3_hook, layout) == set()  # absent manifest = nothing processed
    write_processed_uris(s3_hook, layout, uris + uris[:1])

    bucket, key = split_s3_uri(layout.manifest_uri)
    raw = s3_hook.get_key(key, bucket_name=bucket).get()["Body"].read()
    assert gzip.decompress(raw).decode().splitlines() == sorted(uris)
    assert read_processed_uris(s3_hook, layout) == set(uris)
