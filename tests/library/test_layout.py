"""Run layout: run keys are safe, every artefact of a run sits under the run prefix."""
import re

import pytest

from fruits_emr.layout import RunLayout, prefixes_overlap, run_key, s3_uri, split_s3_uri


def test_run_key_replaces_characters_unsafe_for_s3_and_emr_names():
    assert re.fullmatch(
        r"manual__2026-11-24T06-00-00-00-00-[0-9a-f]{10}", run_key("manual__2026-11-24T06:00:00+00:00")
    )
    assert run_key("scheduled__2026-01-01").startswith("scheduled__2026-01-01-")
    assert run_key("a b") == run_key("a b")  # stable: retries and later tasks find the same key


def test_run_key_is_injective_for_ids_that_differ_only_in_unsafe_characters():
    ids = ["manual__2026-11-24T06:00:00+00:00_X", "manual__2026-11-24T06-00-00-00-00_X", "a b", "a+b", "a-b"]
    assert len({run_key(i) for i in ids}) == len(ids)


def test_run_key_refuses_an_id_without_usable_characters():
    with pytest.raises(ValueError, match="no usable characters"):
        run_key("::++")


def test_s3_uri_joins_without_doubled_slashes():
    assert s3_uri("b", "/out/", "runs/", "/x") == "s3://b/out/runs/x"


@pytest.mark.parametrize("uri, expected", [("s3://b/a/b.jpg", ("b", "a/b.jpg")), ("s3://b", ("b", ""))])
def test_split_s3_uri(uri, expected):
    assert split_s3_uri(uri) == expected


@pytest.mark.parametrize("bad", ["/local/path", "http://b/k", "s3:/b/k", ""])
def test_split_s3_uri_refuses_non_s3(bad):
    with pytest.raises(ValueError, match="not an s3:// URI"):
        split_s3_uri(bad)


def test_run_outputs_are_under_the_run_prefix_and_shared_pointers_are_not():
    layout = RunLayout("bucket", "features/v1", "run-1")
    run_outputs = [
        layout.input_list_uri, layout.features_uri, layout.quarantine_uri, layout.featurize_report_uri,
        layout.pca_uri, layout.pca_model_uri, layout.pca_report_uri, layout.validation_uri, layout.plots_uri,
        layout.carried_uri, layout.partition_stats_uri, layout.plan_catalogue_uri, layout.snapshot_plan_uri,
        layout.catalogue_uri,
    ]
    assert len(set(run_outputs)) == len(run_outputs)
    assert all(uri.startswith("s3://bucket/features/v1/runs/run-1/") for uri in run_outputs)
    for shared in (layout.latest_uri, layout.runs_uri, layout.artifacts_uri, layout.logs_uri):
        assert shared.startswith("s3://bucket/features/v1/") and "/runs/" not in shared


@pytest.mark.parametrize(
    "a, b, overlap",
    [
        (("b", "fruits/images"), ("b", "fruits/images/"), True),
        (("b", "fruits"), ("b", "fruits/features"), True),
        (("b", ""), ("b", "anything"), True),
        (("b", "fruits/images"), ("b", "fruits/images-old"), False),
        (("b", "fruits/images"), ("other", "fruits/images"), False),
    ],
)
def test_prefixes_overlap_as_folders(a, b, overlap):
    assert prefixes_overlap(*a, *b) is overlap
    assert prefixes_overlap(*b, *a) is overlap
