"""Model strategies the benchmark plugs into the featurize job's seam (``model.ProviderFactory``).

``NaiveReloadProvider`` is the baseline behind the original notebook's "broadcast is ~6x faster" claim:
no broadcast and no per-worker cache - for EVERY Arrow batch the worker reads the weights file from
storage, builds MobileNetV2 and loads the weights, then runs the same embedder as production, so the
only difference from the default provider is how the worker obtains its model.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fruits_spark.mobilenet import build_mobilenet_v2
from fruits_spark.model import Embedder, configure_tf_threads, keras_embedder


@dataclass(frozen=True)
class NaiveReloadProvider:
    """Per-batch model build from a weights file every worker can read (a local path here)."""

    weights_path: str
    tf_threads: int

    def embedder(self) -> Embedder:
        configure_tf_threads(self.tf_threads)
        model = build_mobilenet_v2()
        model.load_weights(self.weights_path)
        return keras_embedder(model)


def naive_reload_factory(weights_path: Path):
    """A ``ProviderFactory`` ignoring the driver's weights: workers reload ``weights_path`` each batch."""
    return lambda spark, weights, tf_threads: NaiveReloadProvider(str(weights_path), tf_threads)
