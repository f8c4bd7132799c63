"""publish_run against moto S3: one conditional pointer write commits a validated snapshot; a failed,
raced or stale publish never rolls readers back or loses images; a retry is safe."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from fruits_emr.incremental import plan_inputs
from fruits_emr.layout import split_s3_uri
from fruits_emr.pointer import read_pointer
from fruits_emr.publish import PublishRefused, publish_run
from fruits_emr.s3io import read_bytes, write_bytes
from fruits_emr.validation import ValidationError, validate_run
from tests.outputs.run_outputs import (
    BUCKET,
    INPUT_PREFIX,
    OUTPUT_PREFIX,
    RUN_ID,
    K,
    consistent_run,
    make_layout,
    put_inputs,
)

INPUT_URI = f"s3://{BUCKET}/{INPUT_PREFIX}/"


def _validated(s3_hook, layout, run, base_etag=None):
    run.upload(s3_hook, layout)
    if base_etag:
        plan = json.loads(read_bytes(s3_hook, layout.snapshot_plan_uri))
        write_bytes(
            s3_hook, layout.snapshot_plan_uri, json.dumps({**plan, "base_pointer_etag": base_etag}).encode()
        )
    validate_run(s3_hook, layout, expected_images=len(run.inputs), k=K, min_explained_variance=0.8)


def _latest(s3_hook, layout) -> dict:
    return json.loads(read_bytes(s3_hook, layout.latest_uri))


@pytest.fixture
def failing_put_hook(s3_hook):
    """A real S3Hook on the same moto bucket whose client fails the next PutObject of one key."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    hook = S3Hook(aws_conn_id=None, region_name=s3_hook.region_name)
    hook.fail_key = None

    def fail_once(params, **_):
        if params.get("Key") == hook.fail_key:
            hook.fail_key = None
            raise ConnectionError(f"simulated S3 failure writing {params['Key']}")

    hook.conn.meta.events.register("provide-client-params.s3.PutObject", fail_once)
    return hook


def test_publish_writes_only_the_pointer_and_it_names_the_whole_snapshot(s3_hook, layout):
    run = consistent_run()
    _validated(s3_hook, layout, run)

    pointer = publish_run(s3_hook, layout, RUN_ID)

    assert _latest(s3_hook, layout) == pointer
    assert (
        pointer["run_id"] == RUN_ID and pointer["run_key"] == layout.run_key and pointer["based_on"] is None
    )
    assert pointer["snapshot"]["catalogue"] == layout.catalogue_uri
    assert (
        pointer["snapshot"]["pca"] == layout.pca_uri
        and pointer["snapshot"]["pca_model"] == layout.pca_model_uri
    )
    assert [p["run_key"] for p in pointer["snapshot"]["partitions"]] == [layout.run_key]
    assert pointer["counts"]["featurized"] == 27 and pointer["counts"]["quarantined"] == 3
    published = datetime.fromisoformat(pointer["published_at"])
    assert (
        published.tzinfo == timezone.utc and abs(datetime.now(timezone.utc) - published).total_seconds() < 60
    )


def test_failed_pointer_write_leaves_the_previous_snapshot_and_a_retry_publishes(failing_put_hook, layout):
    _validated(failing_put_hook, layout, consistent_run())
    failing_put_hook.fail_key = split_s3_uri(layout.latest_uri)[1]

    with pytest.raises(ConnectionError):
        publish_run(failing_put_hook, layout, RUN_ID)
    assert read_pointer(failing_put_hook, layout.latest_uri) is None  # nothing published, nothing lost

    assert publish_run(failing_put_hook, layout, RUN_ID)["run_key"] == layout.run_key


def test_retry_after_a_successful_write_returns_the_same_pointer(s3_hook, layout):
    _validated(s3_hook, layout, consistent_run())
    first = publish_run(s3_hook, layout, RUN_ID)
    assert publish_run(s3_hook, layout, RUN_ID) == first


def test_two_publishers_racing_on_one_pointer_one_wins_the_other_is_refused(s3_hook):
    a, b = make_layout("manual__a"), make_layout("manual__b")
    _validated(s3_hook, a, consistent_run())
    _validated(s3_hook, b, consistent_run())  # both planned on "no pointer yet"

    publish_run(s3_hook, a, "manual__a")
    with pytest.raises(PublishRefused, match="refusing to replace a snapshot this run did not see"):
        publish_run(s3_hook, b, "manual__b")
    assert _latest(s3_hook, a)["run_key"] == a.run_key


def test_an_older_run_cannot_roll_the_pointer_back(s3_hook):
    old, new = make_layout("manual__old"), make_layout("manual__new")
    _validated(s3_hook, old, consistent_run())
    publish_run(s3_hook, old, "manual__old")
    _validated(s3_hook, new, consistent_run(), base_etag=read_pointer(s3_hook, old.latest_uri).etag)
    publish_run(s3_hook, new, "manual__new")

    with pytest.raises(PublishRefused):  # the old run's publish re-run (cleared in the UI, say)
        publish_run(s3_hook, old, "manual__old")
    assert _latest(s3_hook, new)["run_key"] == new.run_key


def test_unvalidated_run_is_refused(s3_hook, layout):
    consistent_run().upload(s3_hook, layout)
    with pytest.raises(PublishRefused, match="no validation report"):
        publish_run(s3_hook, layout, RUN_ID)


def test_run_that_failed_validation_is_refused_and_writes_no_catalogue(s3_hook, layout):
    run = consistent_run()
    run.pca[0]["pca"][0] = float("nan")
    with pytest.raises(ValidationError):
        _validated(s3_hook, layout, run)
    with pytest.raises(PublishRefused, match="pca_rows_with_non_finite_values"):
        publish_run(s3_hook, layout, RUN_ID)
    assert not s3_hook.check_for_key(split_s3_uri(layout.catalogue_uri)[1], bucket_name=BUCKET)


def test_run_id_of_another_run_is_refused(s3_hook, layout):
    with pytest.raises(ValueError, match="does not belong"):
        publish_run(s3_hook, layout, "manual__something-else")


def test_next_plan_derives_what_was_processed_from_the_published_catalogue(s3_hook):
    first = make_layout("scheduled__2026-11-23T02:00:00+00:00")
    run = consistent_run(n_images=12)
    put_inputs(s3_hook, [uri.split(f"{INPUT_PREFIX}/", 1)[1] for uri in run.inputs])
    plan_inputs(s3_hook, first, INPUT_URI, max_images=100, k=K, full_reprocess=False, max_image_bytes=10_000)
    # the harness' run uses made-up ETags: take the plan's real ones before validating
    planned = read_bytes(s3_hook, first.plan_catalogue_uri)
    run.upload(s3_hook, first)
    write_bytes(s3_hook, first.plan_catalogue_uri, planned)
    validate_run(s3_hook, first, expected_images=12, k=K, min_explained_variance=0.8)
    publish_run(s3_hook, first, "scheduled__2026-11-23T02:00:00+00:00")

    second = make_layout("scheduled__2026-11-24T02:00:00+00:00")
    unchanged = plan_inputs(s3_hook, second, INPUT_URI, max_images=100, k=K, full_reprocess=False,
                            max_image_bytes=10_000)
    assert not unchanged["changes"] and unchanged["selected"] == 0
    assert unchanged["based_on"] == first.run_key
    put_inputs(s3_hook, ["kiwi/new.jpg"])
    again = plan_inputs(s3_hook, second, INPUT_URI, max_images=100, k=K, full_reprocess=False,
                        max_image_bytes=10_000)
    assert again["selected"] == 1 and again["unchanged_featurized"] == 9 and again["kept_partitions"] == 1
    everything = plan_inputs(s3_hook, second, INPUT_URI, max_images=100, k=K, full_reprocess=True,
                             max_image_bytes=10_000)
    assert everything["selected"] == 13 and everything["kept_partitions"] == 0


def test_reader_loads_the_published_table_with_its_model_id(s3_hook, layout):
    from fruits_emr.reader import load_latest

    run = consistent_run()
    _validated(s3_hook, layout, run)
    publish_run(s3_hook, layout, RUN_ID)

    snapshot = load_latest(BUCKET, OUTPUT_PREFIX, s3_client=s3_hook.conn)

    assert snapshot.model_id == layout.run_key
    assert sorted(snapshot.table.column("path").to_pylist()) == sorted(row["path"] for row in run.pca)
    assert set(snapshot.table.column("model_id").to_pylist()) == {layout.run_key}
    assert snapshot.table.schema.field("pca").type.value_type.bit_width in (16, 32)
