"""How a Python worker gets its MobileNetV2: the pluggable seam between the featurize job and inference.

The featurize job never builds a model itself. It asks a **provider factory**, once on the driver, for a
**model provider**; the provider is pickled into the ``mapInArrow`` function, and on the worker
``provider.embedder()`` is called once per Arrow batch and must return an **embedder**: a function from
a ``float32`` batch ``(n, 224, 224, 3)`` (already MobileNetV2-preprocessed) to ``(n, 1280)`` features.

    ProviderFactory = Callable[[SparkSession, LoadedWeights, int], ModelProvider]
                      # (spark, weights read on the driver, TF threads per task) -> provider

The default, :func:`broadcast_keras_provider`, broadcasts the weight arrays once and caches the built
Keras model per Python worker process (keyed by the weights' sha256), so each worker builds it once and
reuses it for all its batches. Benchmarks plug in other strategies (a naive per-batch reload, TFLite /
ONNX / OpenVINO backends) by passing their own factory to ``run_featurize`` - no job code changes::

    class OnnxProvider:
        def __init__(self, model_bytes): self.model_bytes = model_bytes
        def embedder(self):
            session = cached_onnx_session(self.model_bytes)
            return lambda batch: session.run(None, {"input": batch})[0]
    run_featurize(spark, args,
                  provider_factory=lambda spark, weights, threads: OnnxProvider(to_onnx(weights)))
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from fruits_spark.mobilenet import INPUT_SHAPE, build_mobilenet_v2

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from fruits_spark.weights import LoadedWeights

Embedder = Callable[[np.ndarray], np.ndarray]


class ModelProvider(Protocol):
    """Picklable; lives in the ``mapInArrow`` closure. ``embedder()`` is called on the worker per batch."""

    def embedder(self) -> Embedder: ...


ProviderFactory = Callable[["SparkSession", "LoadedWeights", int], ModelProvider]

_WORKER_EMBEDDERS: dict[str, Embedder] = {}  # one per Python worker process, keyed by weights sha256


def worker_embedder(cache: dict[str, Embedder], weights_sha256: str,
                    build: Callable[[], Embedder]) -> Embedder:
    """The embedder this worker process built for these weights, else ``build()`` it and keep it.

    ``cache`` is a module-level dict, so it lives as long as the Python worker: the model is built once
    and serves all the worker's batches. A worker reused for other weights keeps one model, not all of them.
    """
    cached = cache.get(weights_sha256)
    if cached is None:
        cache.clear()
        cached = cache[weights_sha256] = build()
    return cached


def configure_tf_threads(intra_op_threads: int) -> None:
    """Give TensorFlow ``intra_op_threads`` threads for one op and 1 for op-level parallelism.

    Only possible before TensorFlow's runtime starts; a reused worker that already runs TF keeps its setting.
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # runtime already initialised in this process: the first configuration stays


def keras_embedder(model: Any) -> Embedder:
    """Wrap a Keras model in one traced ``tf.function`` (faster than ``predict`` for repeated batches)."""
    import tensorflow as tf

    infer = tf.function(
        lambda batch: model(batch, training=False),
        input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)],
    )
    return lambda batch: infer(tf.convert_to_tensor(batch, dtype=tf.float32)).numpy()


@dataclass(frozen=True)
class BroadcastKerasProvider:
    """The production provider: weights from a Spark broadcast, one Keras model per worker process."""

    weights: Any  # pyspark Broadcast of list[np.ndarray]
    weights_sha256: str
    tf_threads: int

    def embedder(self) -> Embedder:
        return worker_embedder(_WORKER_EMBEDDERS, self.weights_sha256, self._build)

    def _build(self) -> Embedder:
        configure_tf_threads(self.tf_threads)
        return keras_embedder(build_mobilenet_v2(self.weights.value))


def broadcast_keras_provider(spark: SparkSession, weights: LoadedWeights,
                             tf_threads: int) -> BroadcastKerasProvider:
    """Default ``ProviderFactory``: broadcast the arrays once from the driver."""
    return BroadcastKerasProvider(spark.sparkContext.broadcast(weights.arrays), weights.sha256, tf_threads)
