"""The featurize job's ``tflite`` backend: same features as Keras (cosine >= 0.999 per image), reachable from
``--backend`` through the real job in local Spark (the default), clear errors for unknown names, and a
conversion that does not reproduce Keras refused on the driver before anything is broadcast."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import featurize
from benchmarks.images import decode_batch, generate_images, prepare_image_set
from benchmarks.spark_featurize import featurize_once, start_session
from fruits_spark import backends
from fruits_spark.backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    KERAS,
    TFLITE,
    litert_embedder,
    provider_factory,
    to_tflite,
)
from fruits_spark.conversion_check import AGREEMENT_BAR, ConversionMismatch, min_cosine, verify_conversion
from fruits_spark.errors import JobInputError
from fruits_spark.mobilenet import build_mobilenet_v2
from fruits_spark.model import broadcast_keras_provider, keras_embedder
from fruits_spark.weights import LoadedWeights


@pytest.fixture(scope="module")
def tflite_content(reference) -> bytes:
    return to_tflite(reference.model)


@pytest.fixture(scope="module")
def embedders(reference, tflite_content):
    return keras_embedder(reference.model), litert_embedder(tflite_content, threads=2)


@pytest.mark.parametrize("invoke_batch", [backends.INVOKE_BATCH, 4])
def test_tflite_matches_keras_on_generated_images_of_changing_batch_sizes(embedders, tflite_content,
                                                                            invoke_batch, tmp_path):
    generate_images(7, tmp_path)
    batch = decode_batch(sorted(tmp_path.rglob("*.jpg")))
    keras, _ = embedders
    tflite = litert_embedder(tflite_content, threads=2, invoke_batch=invoke_batch)
    # batches shorter, longer and not a multiple of the images per call: the interpreter is resized
    for rows in (slice(0, 4), slice(4, 6), slice(0, 7), slice(6, 7)):
        features = tflite(batch[rows])
        assert features.shape == (len(batch[rows]), 1280) and features.dtype == np.float32
        assert min_cosine(features, keras(batch[rows])) >= AGREEMENT_BAR


def test_tflite_matches_keras_on_real_images(embedders, real_sample, reference):
    if not reference.real_weights:
        pytest.skip("real weights absent: agreement on real images is only meaningful with them")
    paths = sorted(real_sample.rglob("*.jpg"))[::250]  # a dozen images across the classes
    batch = decode_batch(paths)
    keras, tflite = embedders
    assert min_cosine(tflite(batch), keras(batch)) >= AGREEMENT_BAR


def test_backend_names_map_to_provider_factories():
    assert provider_factory(KERAS) is broadcast_keras_provider
    assert provider_factory(TFLITE) is BACKENDS[TFLITE]
    with pytest.raises(JobInputError, match="keras, tflite"):
        provider_factory("tensorrt")


def test_backend_option_parses_and_unknown_names_are_refused(capsys):
    required = ["--input", "in", "--output", "out", "--quarantine", "q", "--weights", "w.weights.h5"]
    assert featurize.parse_args(required).backend == DEFAULT_BACKEND == TFLITE
    assert featurize.parse_args([*required, "--backend", KERAS]).backend == KERAS
    assert featurize.parse_args([*required, "--backend", TFLITE]).backend == TFLITE
    with pytest.raises(SystemExit):
        featurize.parse_args([*required, "--backend", "tensorrt"])
    assert "invalid choice: 'tensorrt'" in capsys.readouterr().err


def test_backend_option_reaches_the_job(reference, tflite_content, monkeypatch, tmp_path):
    monkeypatch.setattr(backends, "to_tflite", lambda model: tflite_content)  # converted once per module
    images = prepare_image_set(4, tmp_path / "images", sample_dir=tmp_path / "no-sample")
    spark, _ = start_session(cores=2, driver_memory="1g")
    try:
        features, reports = {}, {}
        for backend in (KERAS, TFLITE):
            reports[backend] = featurize_once(spark, images, reference.weights_path, tmp_path / backend,
                                              batch_size=4, backend=backend)
            frame = pd.read_parquet(tmp_path / backend / "features").sort_values("path")
            features[backend] = np.stack(frame["features"].to_list())
    finally:
        spark.stop()
    assert features[TFLITE].shape == (4, 1280)
    assert min_cosine(features[TFLITE], features[KERAS]) >= AGREEMENT_BAR
    assert not np.array_equal(features[TFLITE], features[KERAS])  # a different runtime computed them
    assert [reports[b]["backend"] for b in (KERAS, TFLITE)] == [KERAS, TFLITE]
    assert reports[KERAS]["conversion_min_cosine_vs_keras"] is None  # Keras is the reference itself
    assert reports[TFLITE]["conversion_min_cosine_vs_keras"] >= AGREEMENT_BAR


class _NoSpark:
    """Stands for the session where nothing may reach Spark: any use of it fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the session was used ({name}) although the conversion was refused")


def _broken_weights(reference) -> list[np.ndarray]:
    """The reference weights with the last convolution's kernel shuffled: a conversion that lost them."""
    arrays = [array.copy() for array in reference.model.get_weights()]
    last = max(i for i, array in enumerate(arrays) if array.ndim == 4)
    arrays[last] = np.random.default_rng(0).permutation(arrays[last].ravel()).reshape(arrays[last].shape)
    return arrays


def test_a_conversion_that_does_not_reproduce_keras_is_refused_before_broadcasting(reference, monkeypatch):
    broken = to_tflite(build_mobilenet_v2(_broken_weights(reference)))
    monkeypatch.setattr(backends, "to_tflite", lambda model: broken)
    weights = LoadedWeights(reference.model.get_weights(), "0" * 64, "test")
    with pytest.raises(ConversionMismatch, match=r"lowest cosine similarity 0\.\d+ < 0\.999"):
        provider_factory(TFLITE)(_NoSpark(), weights, 2)


def test_a_faithful_conversion_passes_with_its_figure(embedders):
    keras, tflite = embedders
    assert AGREEMENT_BAR <= verify_conversion(tflite, keras, TFLITE) <= 1.0 + 1e-6


def test_nan_features_count_as_a_mismatch(embedders):
    keras, _ = embedders
    with pytest.raises(ConversionMismatch, match="nan|-1.0"):
        verify_conversion(lambda batch: np.full((len(batch), 1280), np.nan, np.float32), keras, TFLITE)
