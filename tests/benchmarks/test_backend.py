"""The featurize job's ``tflite`` backend: same features as Keras (cosine >= 0.999 per image), reachable from
``--backend`` through the real job in local Spark, clear errors for unknown names."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import featurize
from benchmarks.images import decode_batch, generate_images, prepare_image_set
from benchmarks.inference import AGREEMENT_BAR, min_cosine
from benchmarks.spark_featurize import featurize_once, start_session
from fruits_spark.backends import BACKENDS, KERAS, TFLITE, litert_embedder, provider_factory, to_tflite
from fruits_spark.errors import JobInputError
from fruits_spark.model import broadcast_keras_provider, keras_embedder


@pytest.fixture(scope="module")
def embedders(reference):
    return keras_embedder(reference.model), litert_embedder(to_tflite(reference.model), threads=2)


def test_tflite_matches_keras_on_generated_images_of_changing_batch_sizes(embedders, tmp_path):
    generate_images(6, tmp_path)
    batch = decode_batch(sorted(tmp_path.rglob("*.jpg")))
    keras, tflite = embedders
    for rows in (slice(0, 4), slice(4, 6), slice(0, 6)):  # the interpreter is resized between calls
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
    assert featurize.parse_args(required).backend == KERAS
    assert featurize.parse_args([*required, "--backend", TFLITE]).backend == TFLITE
    with pytest.raises(SystemExit):
        featurize.parse_args([*required, "--backend", "tensorrt"])
    assert "invalid choice: 'tensorrt'" in capsys.readouterr().err


def test_backend_option_reaches_the_job(reference, tmp_path):
    images = prepare_image_set(4, tmp_path / "images", sample_dir=tmp_path / "no-sample")
    spark, _ = start_session(cores=2, driver_memory="1g")
    try:
        features = {}
        for backend in (KERAS, TFLITE):
            featurize_once(spark, images, reference.weights_path, tmp_path / backend, batch_size=4,
                           backend=backend)
            frame = pd.read_parquet(tmp_path / backend / "features").sort_values("path")
            features[backend] = np.stack(frame["features"].to_list())
    finally:
        spark.stop()
    assert features[TFLITE].shape == (4, 1280)
    assert min_cosine(features[TFLITE], features[KERAS]) >= AGREEMENT_BAR
    assert not np.array_equal(features[TFLITE], features[KERAS])  # a different runtime computed them
