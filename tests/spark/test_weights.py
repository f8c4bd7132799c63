"""Weights files: both Keras formats, same arrays; ``imagenet`` is read from the Keras cache offline."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from fruits_spark.errors import JobInputError
from fruits_spark.weights import (
    IMAGENET_FILE,
    IMAGENET_SHA256,
    check_imagenet_sha256,
    fetch_imagenet_weights,
    weight_arrays_from_bytes,
)


@pytest.fixture(scope="module")
def legacy_weights(real_weights):
    path = real_weights.with_name(IMAGENET_FILE)
    if not path.is_file():
        pytest.skip(f"legacy-format weights not found at {path}")
    return path


def test_legacy_and_keras3_files_load_to_identical_arrays(real_weights, legacy_weights):
    keras3 = weight_arrays_from_bytes(real_weights.read_bytes())
    legacy = weight_arrays_from_bytes(legacy_weights.read_bytes())
    assert len(keras3) == len(legacy) == 260
    assert all(np.array_equal(a, b) for a, b in zip(keras3, legacy))


def test_imagenet_uses_the_keras_cache_without_downloading(legacy_weights, tmp_path):
    (tmp_path / "models").mkdir()
    shutil.copy(legacy_weights, tmp_path / "models" / IMAGENET_FILE)
    assert fetch_imagenet_weights(cache_dir=str(tmp_path)).read_bytes() == legacy_weights.read_bytes()


def test_imagenet_weights_are_pinned_by_sha256(legacy_weights):
    data = legacy_weights.read_bytes()
    check_imagenet_sha256(data)  # the real file passes
    with pytest.raises(JobInputError, match=f"expected {IMAGENET_SHA256}: refused"):
        check_imagenet_sha256(data[:-1] + bytes([data[-1] ^ 1]))

