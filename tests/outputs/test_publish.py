"""publish_run against moto S3: manifest first, latest.json last, merges across runs, refuses
unvalidated runs. Includes two nightly runs end to end: plan -> outputs -> validate -> publish."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from fruits_emr.incremental import plan_inputs, read_input_list, read_processed_uris
from fruits_emr.layout import split_s3_uri
from fruits_emr.publish import PublishRefused, publish_run
from fruits_emr.s3io import read_bytes
from fruits_emr.validation import ValidationError, validate_run
from tests.outputs.run_outputs import BUCKET, INPUT_PREFIX, RUN_ID, K, consistent_run, make_layout, put_inputs


def _validated(s3_hook, layout, run):
    run.upload(s3_hook, layout)
    validate_run(s3_hook, layout, expected_images=len(run.inputs), k=K, min_explained_variance=0.8)


def _latest(s3_hook, layout) -> dict:
    return json.loads(read_bytes(s3_hook, layout.latest_uri))


@pytest.fixture
def recording_hook(s3_hook):
    """A real S3Hook on the same moto bucket that records the keys it writes and can fail on one."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    class RecordingS3Hook(S3Hook):
        def __init__(self):
            super().__init__(aws_conn_id=None, region_name=s3_hook.region_name)
            self.written: list[str] = []
            self.fail_on_key: str | None = None

        def load_bytes(self, bytes_data, key, bucket_name=None, **kwargs):
            if key == self.fail_on_key:
                raise ConnectionError(f"simulated S3 failure writing {key}")
            self.written.append(key)
            return super().load_bytes(bytes_data, key, bucket_name=bucket_name, **kwargs)

    return RecordingS3Hook()


def test_publish_writes_the_manifest_then_latest(recording_hook, layout):
    run = consistent_run()
    _validated(recording_hook, layout, run)
    recording_hook.written.clear()

    pointer = publish_run(recording_hook, layout, RUN_ID)

    assert recording_hook.written == [split_s3_uri(layout.manifest_uri)[1],
                                      split_s3_uri(layout.latest_uri)[1]]
    assert read_processed_uris(recording_hook, layout) == set(run.inputs)
    assert _latest(recording_hook, layout) == pointer
    assert pointer["run_id"] == RUN_ID and pointer["run_key"] == layout.run_key
    assert pointer["uris"]["pca"] == layout.pca_uri and pointer["uris"]["pca_model"] == layout.pca_model_uri
    assert pointer["uris"]["validation"] == layout.validation_uri
    assert pointer["counts"]["featurized"] == 27 and pointer["counts"]["quarantined"] == 3
    assert pointer["counts"]["manifest_added"] == pointer["counts"]["manifest_total"] == 30
    published = datetime.fromisoformat(pointer["published_at"])
    assert published.tzinfo == timezone.utc
    assert abs(datetime.now(timezone.utc) - published).total_seconds() < 60


def test_failed_manifest_update_leaves_latest_untouched(recording_hook, layout):
    _validated(recording_hook, layout, consistent_run())
    recording_hook.fail_on_key = split_s3_uri(layout.manifest_uri)[1]

    with pytest.raises(ConnectionError):
        publish_run(recording_hook, layout, RUN_ID)
    assert not recording_hook.check_for_key(split_s3_uri(layout.latest_uri)[1], bucket_name=BUCKET)


def test_unvalidated_run_is_refused(s3_hook, layout):
    consistent_run().upload(s3_hook, layout)
    with pytest.raises(PublishRefused, match="no validation report"):
        publish_run(s3_hook, layout, RUN_ID)


def test_run_that_failed_validation_is_refused(s3_hook, layout):
    run = consistent_run()
    run.pca[0]["pca"][0] = float("nan")
    with pytest.raises(ValidationError):
        _validated(s3_hook, layout, run)
    with pytest.raises(PublishRefused, match="pca_rows_with_non_finite_values"):
        publish_run(s3_hook, layout, RUN_ID)
    assert read_processed_uris(s3_hook, layout) == set()


def test_run_id_of_another_run_is_refused(s3_hook, layout):
    with pytest.raises(ValueError, match="does not belong"):
        publish_run(s3_hook, layout, "manual__something-else")


def test_two_nightly_runs_end_to_end_merge_the_manifest(s3_hook):
    input_uri = f"s3://{BUCKET}/{INPUT_PREFIX}"
    nights = [("scheduled__2026-11-23T02:00:00+00:00", 0, 30),
              ("scheduled__2026-11-24T02:00:00+00:00", 100, 12)]
    for run_id, first_index, n_images in nights:
        layout = make_layout(run_id)
        run = consistent_run(n_images=n_images, first_index=first_index)
        put_inputs(s3_hook, [uri.split(f"{INPUT_PREFIX}/", 1)[1] for uri in run.inputs])  # new photos arrive
        plan = plan_inputs(s3_hook, layout, input_uri, max_images=1000, full_reprocess=False)
        assert plan["selected"] == n_images and read_input_list(s3_hook, layout) == sorted(run.inputs)
        _validated(s3_hook, layout, run)
        publish_run(s3_hook, layout, run_id)

    latest = _latest(s3_hook, layout)
    assert latest["run_id"] == nights[-1][0]
    assert latest["counts"]["manifest_total"] == 42 and latest["counts"]["manifest_added"] == 12
    assert len(read_processed_uris(s3_hook, layout)) == 42
    assert plan_inputs(s3_hook, make_layout("manual__3"), input_uri, 1000, False)["selected"] == 0
