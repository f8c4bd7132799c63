"""validate_run against moto S3: a consistent run passes; each kind of damage fails its named check,
and validation.json plus the plots are written either way."""
from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from fruits_emr.s3io import read_bytes
from fruits_emr.validation import ValidationError, validate_run
from fruits_spark.pca_storage import UNIT_ROUNDOFF, round_to_stored_precision
from tests.outputs.run_outputs import K, consistent_run

THRESHOLD = 0.8
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _validate(s3_hook, layout, run, expected_images=None, k=K, threshold=THRESHOLD):
    run.upload(s3_hook, layout)
    expected = len(run.inputs) if expected_images is None else expected_images
    return validate_run(s3_hook, layout, expected_images=expected, k=k, min_explained_variance=threshold)


def _failing(s3_hook, layout, run, **kwargs) -> tuple[set[str], dict]:
    """Validate a damaged run: it must raise, and the report in S3 must name the same failed checks."""
    with pytest.raises(ValidationError) as raised:
        _validate(s3_hook, layout, run, **kwargs)
    report = json.loads(read_bytes(s3_hook, layout.validation_uri))
    failed = {check["name"] for check in report["checks"] if not check["passed"]}
    assert report["passed"] is False
    assert failed == set(report["failed_checks"]) == {check.name for check in raised.value.failed}
    assert all(name in str(raised.value) for name in failed)
    return failed, {check["name"]: check for check in report["checks"]}


def test_consistent_run_passes_and_writes_its_report(s3_hook, layout):
    run = consistent_run()
    report = _validate(s3_hook, layout, run)

    assert report["passed"] and report["failed_checks"] == []
    stored = json.loads(read_bytes(s3_hook, layout.validation_uri))
    assert stored == report
    assert {c["name"] for c in stored["checks"]} >= {
        "images_found", "featurized_plus_quarantined", "pca_rows", "pca_dimensions",
        "pca_rows_with_non_finite_values", "no_lost_images", "no_duplicate_paths",
        "cumulative_explained_variance", "pca_variance_matches_report"}
    assert all(set(c) == {"name", "passed", "observed", "expected"} for c in stored["checks"])
    assert report["counts"] == {"images": 30, "featurized": 27, "quarantined": 3,
                                "quarantine_by_reason": {"not_an_image": 3}}
    kept = run.pca_report["cumulative_explained_variance"][-1]
    assert report["cumulative_explained_variance"] == pytest.approx(kept)


def test_storage_ratio_comes_from_the_stored_parquet_sizes(s3_hook, layout):
    report = _validate(s3_hook, layout, consistent_run())
    storage = report["storage"]
    assert storage["features_bytes"] > storage["pca_bytes"] > 0
    ratio = storage["features_bytes"] / storage["pca_bytes"]
    assert storage["storage_ratio"] == pytest.approx(ratio, rel=0.01)
    assert storage["storage_ratio"] > 10  # 1280 floats against 4 per row


def test_plots_are_real_pngs_next_to_the_outputs(s3_hook, layout):
    report = _validate(s3_hook, layout, consistent_run())

    assert sorted(report["plots"]) == ["explained_variance.png", "pca_scatter.png"]
    for uri in report["plots"].values():
        assert uri.startswith(layout.plots_uri + "/")
        png = read_bytes(s3_hook, uri)
        assert png.startswith(PNG_SIGNATURE) and len(png) > 10_000
        with Image.open(io.BytesIO(png)) as image:
            image.load()
            assert image.format == "PNG" and image.width > 600 and image.height > 400


def test_count_mismatch_fails(s3_hook, layout):
    failed, checks = _failing(s3_hook, layout, consistent_run(), expected_images=31)
    assert failed == {"images_found", "input_list_length"}
    assert (checks["images_found"]["observed"], checks["images_found"]["expected"]) == (30, 31)


def test_report_that_does_not_add_up_fails(s3_hook, layout):
    run = consistent_run()
    run.featurize_report["featurized"] += 1
    failed, _ = _failing(s3_hook, layout, run)
    assert failed == {"featurized_plus_quarantined", "featurized_count"}


def test_lost_image_fails_and_is_named(s3_hook, layout):
    run = consistent_run()
    lost = run.pca.pop(5)
    run.featurize_report["featurized"] -= 1  # even a report that agrees with the output cannot hide it
    failed, checks = _failing(s3_hook, layout, run)
    assert "no_lost_images" in failed
    assert checks["no_lost_images"]["observed"] == {"count": 1, "examples": [lost["path"]]}


def test_duplicate_path_fails(s3_hook, layout):
    run = consistent_run()
    run.quarantine.append({"path": run.pca[0]["path"], "reason": "corrupt_image", "detail": "dup"})
    run.featurize_report["quarantined"] += 1
    run.featurize_report["images_found"] += 1
    failed, checks = _failing(s3_hook, layout, run, expected_images=len(run.inputs) + 1)
    # the path is now both featurized and quarantined: its PCA row is unexpected and counts disagree
    assert failed == {"no_duplicate_paths", "input_list_length", "no_unexpected_images", "pca_rows",
                      "featurized_count"}
    assert checks["no_duplicate_paths"]["observed"]["examples"] == [run.pca[0]["path"]]


@pytest.mark.parametrize("bad_value", [math.nan, math.inf, None])
def test_non_finite_vector_fails(s3_hook, layout, bad_value):
    run = consistent_run()
    run.pca[3]["pca"][1] = bad_value
    failed, checks = _failing(s3_hook, layout, run)
    assert failed == {"pca_rows_with_non_finite_values", "pca_variance_matches_report"}  # a row short
    assert checks["pca_rows_with_non_finite_values"]["observed"] == 1


def test_vector_of_wrong_length_fails(s3_hook, layout):
    run = consistent_run()
    run.pca[7]["pca"] = run.pca[7]["pca"][:-1]
    failed, checks = _failing(s3_hook, layout, run)
    assert failed == {"pca_dimensions", "pca_variance_matches_report"}  # a row short
    assert checks["pca_dimensions"]["observed"] == {"lengths_seen": [K - 1, K], "rows_with_other_length": 1}


def test_null_vector_fails(s3_hook, layout):
    run = consistent_run()
    run.pca[2]["pca"] = None
    failed, checks = _failing(s3_hook, layout, run)
    assert failed == {"pca_dimensions", "pca_rows_with_non_finite_values", "pca_variance_matches_report"}
    assert checks["pca_dimensions"]["observed"] == {"lengths_seen": [-1, K], "rows_with_other_length": 1}


def test_outputs_with_another_k_fail(s3_hook, layout):
    failed, _ = _failing(s3_hook, layout, consistent_run(k=3))
    assert failed == {"pca_dimensions", "explained_variance_components", "pca_variance_matches_report"}


def test_variance_below_threshold_fails(s3_hook, layout):
    run = consistent_run()
    achieved = run.pca_report["cumulative_explained_variance"][-1]
    failed, checks = _failing(s3_hook, layout, run, threshold=min(1.0, achieved + 0.01))
    assert failed == {"cumulative_explained_variance"}
    assert checks["cumulative_explained_variance"]["observed"] == pytest.approx(achieved)
    png = read_bytes(s3_hook, f"{layout.plots_uri}/explained_variance.png")  # evidence kept on failure
    assert png.startswith(PNG_SIGNATURE)


def _rotate_vectors(run) -> None:
    """Publish the vectors in a wrong basis: the same top-k subspace, rotated (what the report claims
    for each component is then no longer what the vectors carry)."""
    rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(K, K)))
    for row in run.pca:
        row["pca"] = (np.asarray(row["pca"]) @ rotation).astype(np.float32).tolist()


def _inflate_reported_variance(run) -> None:
    """Report more variance than the vectors carry (like Spark ML's wrong SVD, in reverse)."""
    run.pca_report["explained_variance"] = [ratio * 1.01 for ratio in run.pca_report["explained_variance"]]


def _drop_leading_component(run) -> None:
    """Vectors without the leading component (columns shifted left, a zero column appended) under the
    report of components 1..k: true principal axes, but not the ones the report describes."""
    for row in run.pca:
        row["pca"] = row["pca"][1:] + [0.0]


def _store_rounded(run) -> None:
    """The vectors as the PCA job stores them: rounded to float16's precision, declared in the report."""
    for row in run.pca:
        row["pca"] = round_to_stored_precision(np.asarray(row["pca"])).tolist()
    run.pca_report["pca_unit_roundoff"] = UNIT_ROUNDOFF


def test_vectors_stored_at_float16_precision_pass(s3_hook, layout):
    run = consistent_run()
    _store_rounded(run)
    assert _validate(s3_hook, layout, run)["passed"]


@pytest.mark.parametrize("rounded", [False, True], ids=["float32", "float16-precision"])
@pytest.mark.parametrize("corrupt", [_rotate_vectors, _inflate_reported_variance, _drop_leading_component])
def test_wrong_basis_or_variance_fails(s3_hook, layout, corrupt, rounded):
    run = consistent_run()
    if rounded:
        _store_rounded(run)
    corrupt(run)
    failed, checks = _failing(s3_hook, layout, run, threshold=0.01)
    assert failed == {"pca_variance_matches_report"}
    observed = checks["pca_variance_matches_report"]["observed"]
    assert max(observed["max_variance_error"], observed["max_cross_covariance"]) > 1e-3


def test_missing_pca_output_fails_without_crashing(s3_hook, layout):
    run = consistent_run()
    run.skip = {"pca", "pca_report"}
    failed, checks = _failing(s3_hook, layout, run)
    assert checks["outputs_present"]["observed"] == ["pca_report.json", "pca/"]
    assert {"outputs_present", "pca_rows", "no_lost_images", "cumulative_explained_variance"} <= failed


def test_run_without_quarantine_or_features_passes(s3_hook, layout):
    run = consistent_run(n_quarantined=0)
    run.skip = {"features"}  # features are only read for their size
    report = _validate(s3_hook, layout, run)
    assert report["passed"] and report["storage"]["storage_ratio"] is None


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"expected_images": -1}, "expected_images"),
    ({"k": 0}, "k must be"),
    ({"threshold": 1.5}, "min_explained_variance"),
])
def test_bad_parameters_are_refused(s3_hook, layout, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _validate(s3_hook, layout, consistent_run(), **kwargs)


def test_probe_accuracy_of_labelled_vectors_is_reported(s3_hook, layout):
    probe = _validate(s3_hook, layout, consistent_run())["probe"]["pca"]
    assert probe["accuracy"] == 1.0  # the classes are well separated clusters
    assert (probe["rows"], probe["classes"]) == (27, 3)


def test_probe_follows_the_labels_and_never_fails_the_run(s3_hook, layout):
    run = consistent_run(n_images=60)
    shuffled = np.random.default_rng(3).permutation([row["label"] for row in run.pca])
    for row, label in zip(run.pca, shuffled):
        row["label"] = str(label)
    report = _validate(s3_hook, layout, run)
    assert report["passed"] and report["probe"]["pca"]["accuracy"] < 0.8


def test_unlabelled_run_has_no_probe_accuracy(s3_hook, layout):
    run = consistent_run()
    for row in run.pca:
        row["label"] = ""
    report = _validate(s3_hook, layout, run)
    assert report["passed"] and report["probe"]["pca"]["accuracy"] is None
