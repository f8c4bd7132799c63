"""The reference Keras MobileNetV2 every runtime is compared with, and the weights file the Spark job reads.

With the real ImageNet weights from ../shared/models, features are meaningful. Without them the
benchmark still measures throughput, on seeded random weights saved to a file (so the Spark job reads
the same weights), and every result says so: agreement and storage numbers are then not about real
features.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fruits_spark.mobilenet import build_mobilenet_v2
from local_emr.paths import SHARED_WEIGHTS

RANDOM_SEED = 1234


@dataclass(frozen=True)
class Reference:
    """The Keras model, the weights file it was loaded from, and whether those are the real weights."""

    model: object
    weights_path: Path
    real_weights: bool

    @property
    def description(self) -> str:
        if self.real_weights:
            return f"real ImageNet weights {self.weights_path.name}"
        return f"SEEDED RANDOM weights (real weights absent at {SHARED_WEIGHTS}): throughput only"


def load_reference(workdir: Path, weights_path: Path = SHARED_WEIGHTS) -> Reference:
    """MobileNetV2 (no top, avg pooling) with the real weights, or seeded random ones saved in ``workdir``."""
    import keras

    if weights_path.is_file():
        model = build_mobilenet_v2()
        model.load_weights(weights_path)
        return Reference(model, weights_path, True)
    keras.utils.set_random_seed(RANDOM_SEED)
    model = build_mobilenet_v2()
    random_path = workdir / "random_seeded.weights.h5"
    model.save_weights(random_path)
    return Reference(model, random_path, False)
