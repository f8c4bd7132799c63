"""Selectable inference backends of the featurize job (``--backend``): ``tflite`` is the default, Keras the
reference.

``tflite``: the driver builds MobileNetV2 from the weights it already loaded, converts it with Keras'
own exporter (``model.export(format="litert")``, i.e. ``tf.lite.TFLiteConverter``) to a float32
TFLite flatbuffer, checks it against Keras on reference images (``fruits_spark.conversion_check``:
the run is refused below a cosine of 0.999; the figure goes into the report) and broadcasts those
bytes. Each Python worker creates one LiteRT interpreter (``ai-edge-litert``; its default CPU path is
the XNNPACK delegate) from the broadcast bytes and keeps it for all its batches, with ``tf_threads``
threads like the Keras path, calling it on ``INVOKE_BATCH`` images at a time. ``make bench`` measured
it at about twice Keras' throughput with features matching Keras (cosine >= 0.999 on every image); see
benchmarks/RESULTS.md. Hence the default (``DEFAULT_BACKEND``); ``keras`` stays selectable. The
package ``ai-edge-litert`` must be installed where the job runs (bootstrap/requirements-emr.txt).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fruits_spark.conversion_check import verify_conversion
from fruits_spark.errors import JobInputError
from fruits_spark.mobilenet import build_mobilenet_v2
from fruits_spark.model import (
    Embedder,
    ProviderFactory,
    broadcast_keras_provider,
    keras_embedder,
    worker_embedder,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from fruits_spark.weights import LoadedWeights

KERAS = "keras"
TFLITE = "tflite"
DEFAULT_BACKEND = TFLITE
# Images per interpreter call. XNNPACK runs MobileNetV2 fastest on 1-2 images per call (the activations
# stay in the CPU caches); a whole Arrow batch of 64 per call was ~15 % slower here. Measured side by side
# by `make bench` ("tflite_invoke_batch" in benchmarks/RESULTS.md).
INVOKE_BATCH = 1

_WORKER_INTERPRETERS: dict[str, Embedder] = {}  # one per Python worker process, keyed by weights sha256


def to_tflite(model: Any) -> bytes:
    """The Keras model as a float32 TFLite flatbuffer with a dynamic batch dimension."""
    with tempfile.TemporaryDirectory(prefix="fruits-tflite-") as tmp:
        path = Path(tmp) / "mobilenet_v2.tflite"
        model.export(str(path), format="litert", verbose=False)
        return path.read_bytes()


def litert_embedder(model_content: bytes, threads: int, invoke_batch: int = INVOKE_BATCH) -> Embedder:
    """An embedder over a TFLite flatbuffer that calls the interpreter on ``invoke_batch`` images at a time;
    the interpreter's tensors are resized only when that shape changes (a batch's shorter last chunk)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_content, num_threads=threads)
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    allocated: dict[str, tuple[int, ...]] = {}

    def invoke(chunk: np.ndarray) -> np.ndarray:
        if allocated.get("shape") != chunk.shape:
            interpreter.resize_tensor_input(input_index, chunk.shape)
            interpreter.allocate_tensors()
            allocated["shape"] = chunk.shape
        interpreter.set_tensor(input_index, chunk)
        interpreter.invoke()
        return interpreter.get_tensor(output_index)  # a copy, per the Interpreter's API

    def embed(batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        return np.concatenate([invoke(batch[start:start + invoke_batch])
                               for start in range(0, len(batch), invoke_batch)])

    return embed


@dataclass(frozen=True)
class BroadcastTfliteProvider:
    """The TFLite flatbuffer from a Spark broadcast, one interpreter per worker process."""

    model_content: Any  # pyspark Broadcast of bytes
    weights_sha256: str
    threads: int
    min_cosine_vs_keras: float  # on the driver's reference images, before broadcasting

    def embedder(self) -> Embedder:
        return worker_embedder(_WORKER_INTERPRETERS, self.weights_sha256,
                               lambda: litert_embedder(self.model_content.value, self.threads))


def broadcast_tflite_provider(spark: SparkSession, weights: LoadedWeights,
                              tf_threads: int) -> BroadcastTfliteProvider:
    """``ProviderFactory`` of the ``tflite`` backend: convert on the driver, broadcast the bytes once."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401  (fail on the driver, not in every task)
    except ImportError as exc:
        raise JobInputError(f"--backend {TFLITE} needs the package ai-edge-litert: {exc}") from exc
    model = build_mobilenet_v2(weights.arrays)
    content = to_tflite(model)
    cosine = verify_conversion(litert_embedder(content, tf_threads), keras_embedder(model), TFLITE)
    return BroadcastTfliteProvider(spark.sparkContext.broadcast(content), weights.sha256, tf_threads, cosine)


BACKENDS: dict[str, ProviderFactory] = {KERAS: broadcast_keras_provider, TFLITE: broadcast_tflite_provider}


def provider_factory(backend: str) -> ProviderFactory:
    """The ``ProviderFactory`` of a backend name; ``JobInputError`` naming the choices otherwise."""
    try:
        return BACKENDS[backend]
    except KeyError:
        raise JobInputError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}") from None
