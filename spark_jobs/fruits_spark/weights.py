"""Read the MobileNetV2 weights once on the driver and turn them into the list of arrays broadcast to workers.

``--weights`` is a local path, any Hadoop URI (``s3://`` on EMR) or the word ``imagenet`` (Keras' own
download, cached under ``~/.keras/models``). ``imagenet`` is pinned: the file must have the sha256
``IMAGENET_SHA256`` (Keras checks no hash for it by itself), anything else is refused. Both weight-file
formats are accepted: Keras 3 ``*.weights.h5`` and the legacy ``*_no_top.h5`` that Keras downloads for
``weights="imagenet"``. The file is loaded into a real model on the driver, so a missing, truncated or
mismatching file fails the job at once with a message naming it; there is never a fallback to random
weights.
"""
from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyspark.sql import SparkSession

from fruits_spark import hadoop_fs
from fruits_spark.errors import JobInputError, missing_input_is
from fruits_spark.mobilenet import build_mobilenet_v2

IMAGENET = "imagenet"
IMAGENET_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
IMAGENET_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/" + IMAGENET_FILE
# sha256 of IMAGENET_FILE as the project keeps it (../shared/README.md); get_file re-downloads a cached
# file with another hash and fails when the download has another one, and load_weights checks the bytes.
IMAGENET_SHA256 = "71e4c4ec4aa24c9c951b9265d6de42e1336dcf614c2214fa6a989208615e232c"


@dataclass(frozen=True)
class LoadedWeights:
    """The model's weight arrays (``model.get_weights()`` order), the file's sha256 and where it came from."""

    arrays: list[np.ndarray]
    sha256: str
    source: str


def load_weights(spark: SparkSession, source: str) -> LoadedWeights:
    """Read ``source`` (path, URI or ``imagenet``) on the driver and check it loads into MobileNetV2."""
    if source == IMAGENET:
        data = fetch_imagenet_weights().read_bytes()
        check_imagenet_sha256(data)
    else:
        with missing_input_is(f"weights file not found: {source}"):
            data = hadoop_fs.read_bytes(spark, source)
    return LoadedWeights(weight_arrays_from_bytes(data, source), hashlib.sha256(data).hexdigest(), source)


def fetch_imagenet_weights(cache_dir: str | None = None) -> Path:
    """Keras' ImageNet no-top weights file: from the Keras cache, else downloaded (needs internet)."""
    import keras

    try:
        return Path(keras.utils.get_file(IMAGENET_FILE, IMAGENET_URL, cache_subdir="models",
                                         cache_dir=cache_dir, file_hash=IMAGENET_SHA256,
                                         hash_algorithm="sha256"))
    except Exception as exc:  # Keras raises a bare Exception for every download failure, ValueError on a hash
        raise JobInputError(
            f"cannot get the imagenet weights ({exc}); without internet, copy {IMAGENET_FILE} into "
            "~/.keras/models/ or pass --weights PATH_OR_URI"
        ) from exc


def check_imagenet_sha256(data: bytes) -> None:
    """Refuse ``imagenet`` weights whose sha256 is not the pinned ``IMAGENET_SHA256``."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != IMAGENET_SHA256:
        raise JobInputError(f"imagenet weights have sha256 {actual}, expected {IMAGENET_SHA256}: refused "
                            f"(a corrupted or substituted {IMAGENET_FILE})")


def weight_arrays_from_bytes(data: bytes, source: str = "weights") -> list[np.ndarray]:
    """Load a weights file's bytes into MobileNetV2, return its arrays; ``JobInputError`` if they do not fit.

    Keras 3 only warns when part of a model finds nothing to load and keeps those layers random, so the file
    must also hold exactly as many parameters as the model has.
    """
    legacy, stored_parameters = _inspect_hdf5(data, source)
    model = build_mobilenet_v2()
    expected_parameters = model.count_params()
    if stored_parameters != expected_parameters:
        raise JobInputError(f"weights at {source} hold {stored_parameters} parameters; MobileNetV2 (no top) "
                            f"has {expected_parameters}: wrong model file")
    suffix = ".h5" if legacy else ".weights.h5"  # Keras picks the loader by file suffix
    with tempfile.TemporaryDirectory(prefix="fruits-weights-") as tmp:
        local = Path(tmp) / f"mobilenet_v2{suffix}"
        local.write_bytes(data)
        try:
            model.load_weights(local)
        except Exception as exc:  # Keras raises ValueError, KeyError, OSError... for files that do not fit
            raise JobInputError(f"weights at {source} do not load into MobileNetV2 (no top): {exc}") from exc
    return model.get_weights()


def _inspect_hdf5(data: bytes, source: str) -> tuple[bool, int]:
    """(is it the legacy Keras format, how many numbers its datasets hold)."""
    import h5py

    sizes: list[int] = []
    try:
        with h5py.File(io.BytesIO(data), "r") as h5:
            h5.visititems(lambda _, item: sizes.append(item.size) if isinstance(item, h5py.Dataset) else None)
            return "layer_names" in h5.attrs, sum(sizes)
    except OSError as exc:
        raise JobInputError(
            f"weights at {source} are not an HDF5 Keras weights file ({len(data)} bytes)") from exc
