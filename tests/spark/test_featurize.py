"""The featurize job in local Spark with real TensorFlow, on generated images (see image_factory)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import sys

import numpy as np
import pytest
from pyspark import cloudpickle

from fruits_spark.errors import JobInputError
from fruits_spark.featurize_job import InvariantViolation, check_invariant, run_featurize
from fruits_spark.mobilenet import FEATURE_DIM
from fruits_spark.paths import label_of

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module


def features_by_path(spark, uri: str) -> dict[str, np.ndarray]:
    return {row.path: np.asarray(row.features, np.float32) for row in spark.read.parquet(uri).collect()}


def test_every_good_image_gets_1280_float_features_and_its_label(spark, featurized, image_tree, weights_file):
    args, _ = featurized
    expected_good = {uri for uri, reason in image_tree[1].items() if reason is None}
    table = spark.read.parquet(args.output)
    assert dict(table.dtypes) == {"path": "string", "label": "string", "features": "array<float>",
                                  "weights_sha256": "string"}
    rows = table.collect()
    assert {row.path for row in rows} == expected_good
    assert all(len(row.features) == FEATURE_DIM and np.isfinite(row.features).all() for row in rows)
    assert all(row.label == label_of(row.path) for row in rows)
    assert {row.weights_sha256 for row in rows} == {hashlib.sha256(weights_file.read_bytes()).hexdigest()}


def test_hidden_and_glob_like_names_are_featurized_not_skipped(spark, featurized):
    paths = {row.path for row in spark.read.parquet(featurized[0].output).select("path").collect()}
    assert {p.rsplit("/", 2)[-2] + "/" + p.rsplit("/", 1)[-1] for p in paths} >= {
        "kiwi/_underscore.jpg", "lemon/.dotted.PNG", "_drafts/0.png", "kiwi/UPPER.JPEG",
        "kiwi/photo [1] {copy}.jpg", "kiwi/50% a%20b é.jpg", "kiwi/new\nline.jpg"}


def test_quarantine_holds_every_bad_file_with_its_reason(spark, featurized, image_tree):
    args, _ = featurized
    table = spark.read.parquet(args.quarantine)
    assert dict(table.dtypes) == {"path": "string", "reason": "string", "detail": "string"}
    found = {row.path: row.reason for row in table.collect()}
    assert found == {uri: reason for uri, reason in image_tree[1].items() if reason is not None}


def test_report_counts_add_up_and_are_written(featurized, image_tree):
    args, report = featurized
    expected = image_tree[1]
    assert report["images_found"] == len(expected)
    assert report["featurized"] == sum(reason is None for reason in expected.values())
    assert report["quarantined"] == report["images_found"] - report["featurized"]
    bad = [reason for reason in expected.values() if reason]
    by_reason = report["quarantine_by_reason"]
    assert by_reason == {reason: bad.count(reason) for reason in by_reason}
    with open(args.report) as written:
        assert json.load(written) == report
    assert {"weights_sha256", "weights_source", "model_load_s", "featurize_s"} <= report.keys()


def test_features_do_not_depend_on_partitioning(spark, featurized, tmp_path):
    args, _ = featurized
    one = dataclasses.replace(args, output=str(tmp_path / "f1"), quarantine=str(tmp_path / "q1"), report=None,
                              partitions=1, batch_size=64)
    run_featurize(spark, one)
    three, single = features_by_path(spark, args.output), features_by_path(spark, one.output)
    assert three.keys() == single.keys()
    for path, vector in three.items():
        np.testing.assert_allclose(vector, single[path], rtol=1e-4, atol=1e-5, err_msg=path)


def test_input_list_restricts_the_run_and_quarantines_missing_files(spark, featurized, image_tree, tmp_path):
    root, expected = image_tree
    kept = sorted(uri for uri, reason in expected.items() if reason is None)[:2]
    gone = f"file:{root}/kiwi/deleted_since_planning.jpg"
    outside = "file:/nonexistent/elsewhere/3.jpg"
    listing = tmp_path / "input_list.txt"
    listing.write_text("\n".join([kept[0], "", kept[1].removeprefix("file:"), kept[0], gone, outside]) + "\n")
    args = dataclasses.replace(featurized[0], input_list=str(listing), output=str(tmp_path / "f"),
                               quarantine=str(tmp_path / "q"), report=None)
    report = run_featurize(spark, args, provider_factory=_ConstantProvider.factory)
    assert (report["images_found"], report["featurized"], report["quarantined"]) == (4, 2, 2)
    assert sorted(features_by_path(spark, args.output)) == kept
    quarantine = {row.path: row.reason for row in spark.read.parquet(args.quarantine).collect()}
    assert quarantine == {gone: "missing_file", outside: "missing_file"}


def test_a_file_deleted_after_the_inventory_is_quarantined_not_lost(spark, featurized, image_tree, tmp_path):
    folder = tmp_path / "in" / "fig"
    folder.mkdir(parents=True)
    good = sorted(uri for uri, reason in image_tree[1].items() if reason is None)[:3]
    for n, uri in enumerate(good):
        shutil.copy(uri.removeprefix("file:"), folder / f"{n}.jpg")
    doomed = folder / "1.jpg"

    def delete_then_load(spark, weights, tf_threads):  # runs after the inventory, before any image is read
        doomed.unlink()
        return _ConstantProvider()

    args = dataclasses.replace(featurized[0], input=str(tmp_path / "in"), input_list=None,
                               output=str(tmp_path / "f"), quarantine=str(tmp_path / "q"), report=None)
    report = run_featurize(spark, args, provider_factory=delete_then_load)
    assert (report["images_found"], report["featurized"], report["quarantined"]) == (3, 2, 1)
    quarantine = {row.path: row.reason for row in spark.read.parquet(args.quarantine).collect()}
    assert quarantine == {f"file:{doomed}": "missing_file"}


@dataclasses.dataclass(frozen=True)
class _ConstantProvider:
    """A plugged-in model: each image's features are its mean pixel value repeated (cheap, deterministic)."""

    @staticmethod
    def factory(spark, weights, tf_threads):
        return _ConstantProvider()

    def embedder(self):
        return lambda batch: np.repeat(batch.mean(axis=(1, 2, 3))[:, None], FEATURE_DIM, axis=1)


def test_a_plugged_in_provider_replaces_the_model(spark, featurized, tmp_path):
    args = dataclasses.replace(featurized[0], output=str(tmp_path / "f"), quarantine=str(tmp_path / "q"),
                               report=None)
    run_featurize(spark, args, provider_factory=_ConstantProvider.factory)
    for vector in features_by_path(spark, args.output).values():
        assert np.all(vector == vector[0])


@pytest.mark.parametrize("weights", ["/nonexistent/weights.weights.h5", "NOT_HDF5", "WRONG_MODEL"])
def test_unusable_weights_fail_clearly_instead_of_random_weights(spark, featurized, tmp_path, weights):
    if weights == "NOT_HDF5":
        weights = tmp_path / "broken.weights.h5"
        weights.write_bytes(b"not an hdf5 file")
    elif weights == "WRONG_MODEL":
        import keras

        weights = tmp_path / "tiny.weights.h5"
        keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save_weights(weights)
    args = dataclasses.replace(featurized[0], weights=str(weights), output=str(tmp_path / "f"),
                               quarantine=str(tmp_path / "q"), report=None)
    with pytest.raises(JobInputError, match="weights"):
        run_featurize(spark, args)
    assert not (tmp_path / "f").exists()


def test_missing_input_fails_clearly(spark, featurized, tmp_path):
    args = dataclasses.replace(featurized[0], input=str(tmp_path / "nothing_here"))
    with pytest.raises(JobInputError, match="nothing_here"):
        run_featurize(spark, args)


def test_the_invariant_check_fails_loudly():
    check_invariant({"images_found": 3, "featurized": 2, "quarantined": 1})
    with pytest.raises(InvariantViolation, match="silently dropped"):
        check_invariant({"images_found": 3, "featurized": 1, "quarantined": 1})
