"""The network every inference path runs: MobileNetV2 without its classifier, average-pooled.

Its input is a 224x224 RGB image (MobileNetV2-preprocessed float32), its output ``FEATURE_DIM`` floats.
"""
from __future__ import annotations

from typing import Any

import numpy as np

INPUT_SHAPE = (224, 224, 3)
FEATURE_DIM = 1280  # MobileNetV2's last convolution has 1280 channels; pooling keeps one float each


def build_mobilenet_v2(arrays: list[np.ndarray] | None = None) -> Any:
    """``MobileNetV2(include_top=False, pooling="avg")`` for 224x224 RGB, with ``arrays`` as its weights."""
    import keras

    model = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=INPUT_SHAPE,
                                           pooling="avg")
    if arrays is not None:
        model.set_weights(arrays)
    return model
