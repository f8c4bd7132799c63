"""The run-time check of a converted model: it must give Keras' features before any worker uses it.

The driver runs the converted model and the Keras reference on ``REFERENCE_IMAGES`` deterministic images
(smooth random colour fields, MobileNetV2-preprocessed like decoded photos) and refuses the run with
``ConversionMismatch`` (a ``JobInputError``: the step fails loudly) when the lowest per-image cosine
similarity is below ``AGREEMENT_BAR``. A converter that silently changed the model (lost or stale
weights, NaNs, another graph) is caught here, never shipped as degraded features.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from fruits_spark.decode import preprocess
from fruits_spark.errors import JobInputError
from fruits_spark.mobilenet import INPUT_SHAPE
from fruits_spark.model import Embedder

AGREEMENT_BAR = 0.999  # minimum cosine similarity to Keras, on every reference image
REFERENCE_IMAGES = 4
_COARSE = 8  # colour cells per side before the bilinear upscaling that makes the fields smooth


class ConversionMismatch(JobInputError):
    """The converted model's features differ from Keras' on the reference images: nothing is run."""


def min_cosine(features: np.ndarray, reference: np.ndarray) -> float:
    """Lowest per-row cosine similarity between two feature matrices of the same shape (NaN rows: -1)."""
    norms = np.linalg.norm(features, axis=1) * np.linalg.norm(reference, axis=1)
    cosines = np.sum(features * reference, axis=1) / np.maximum(norms, 1e-12)
    return float(np.min(np.nan_to_num(cosines, nan=-1.0)))


def reference_images(count: int = REFERENCE_IMAGES, seed: int = 0) -> np.ndarray:
    """``count`` preprocessed (224, 224, 3) float32 images, the same on every run."""
    rng = np.random.default_rng(seed)
    height, width, _ = INPUT_SHAPE
    images = []
    for _ in range(count):
        coarse = rng.integers(0, 256, (_COARSE, _COARSE, 3), dtype=np.uint8)
        smooth = Image.fromarray(coarse).resize((width, height), Image.Resampling.BILINEAR)
        images.append(preprocess(np.asarray(smooth)))
    return np.stack(images)


def verify_conversion(converted: Embedder, keras: Embedder, name: str) -> float:
    """The lowest cosine of ``converted`` to ``keras`` on the reference images; ``ConversionMismatch``
    when it is below ``AGREEMENT_BAR``."""
    images = reference_images()
    cosine = min_cosine(np.asarray(converted(images), np.float64), np.asarray(keras(images), np.float64))
    if not cosine >= AGREEMENT_BAR:
        raise ConversionMismatch(
            f"the {name} conversion of MobileNetV2 does not reproduce Keras: lowest cosine similarity "
            f"{cosine:.6f} < {AGREEMENT_BAR} on {len(images)} reference images; refusing to featurize")
    return cosine
