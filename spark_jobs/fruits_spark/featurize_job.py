"""The featurize job: images -> 1280-d MobileNetV2 features, and a quarantine record for every unusable file.

Flow: inventory on the driver (every file found counts) -> weights read once on the driver -> image bytes
read by Spark (``binaryFile``) -> ``mapInPandas`` decodes each Arrow batch (``--batch-size`` rows) with
Pillow and runs the model on the whole batch -> the result is persisted once and split into
``features/`` and ``quarantine/`` Parquet -> the invariant ``images_found = featurized + quarantined``
is checked (the job fails loudly otherwise) -> JSON report.

Backends: ``args.backend`` (``--backend``) picks how workers run the model from ``fruits_spark.backends``
(``tflite``, the default, or ``keras``, the reference); the report names it.

Seam for benchmarks: ``run_featurize(spark, args, provider_factory=...)`` takes any
:data:`fruits_spark.model.ProviderFactory` instead of the backend's, so how a worker gets its model
(broadcast Keras, naive per-batch reload, TFLite/ONNX/OpenVINO) is swapped without touching this module;
see ``fruits_spark.model``.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, functions as F
from pyspark.sql.types import ArrayType, BinaryType, FloatType, StringType, StructField, StructType

from fruits_spark import hadoop_fs
from fruits_spark.backends import DEFAULT_BACKEND, provider_factory as backend_provider_factory
from fruits_spark.decode import DEFAULT_MAX_PIXELS, REASON_CODES, Quarantine, decode_image
from fruits_spark.inventory import Inventory, take_inventory
from fruits_spark.mobilenet import FEATURE_DIM
from fruits_spark.model import ModelProvider, ProviderFactory
from fruits_spark.paths import escape_glob, is_hidden_from_spark, label_of
from fruits_spark.session import task_cpus, temporary_conf
from fruits_spark.weights import load_weights

CONTENT_SCHEMA = StructType([StructField("path", StringType(), False),
                             StructField("content", BinaryType(), True)])
RESULT_SCHEMA = StructType([
    StructField("path", StringType(), False),
    StructField("label", StringType(), False),
    StructField("features", ArrayType(FloatType(), False), True),
    StructField("reason", StringType(), True),
    StructField("detail", StringType(), True),
])
QUARANTINE_COLUMNS = ("path", "reason", "detail")


@dataclass(frozen=True)
class FeaturizeArgs:
    """The featurize job's parameters (the CLI flags of ``spark_jobs/featurize.py``)."""

    input: str
    output: str
    quarantine: str
    weights: str
    input_list: str | None = None
    report: str | None = None
    batch_size: int = 64
    tf_threads: int | None = None  # default: spark.task.cpus
    max_pixels: int = DEFAULT_MAX_PIXELS
    partitions: int | None = None  # Python API only (tests, benchmarks): force this many featurize tasks
    backend: str = DEFAULT_BACKEND  # how workers run the model: a name from fruits_spark.backends.BACKENDS


class InvariantViolation(RuntimeError):
    """Some file was neither featurized nor quarantined: a bug, never to be papered over."""


def run_featurize(
    spark: SparkSession, args: FeaturizeArgs, provider_factory: ProviderFactory | None = None
) -> dict:
    """Run the whole job in ``spark`` and return its report (also written to ``args.report`` if given).

    ``provider_factory`` defaults to the one of ``args.backend``.
    """
    provider_factory = provider_factory or backend_provider_factory(args.backend)
    inventory = take_inventory(spark, args.input, args.input_list)
    started = time.perf_counter()
    weights = load_weights(spark, args.weights)
    tf_threads = args.tf_threads or task_cpus(spark)
    provider = provider_factory(spark, weights, tf_threads)
    model_load_s = time.perf_counter() - started

    started = time.perf_counter()
    settings = {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(args.batch_size),
        "spark.sql.files.openCostInBytes": "1",  # pack files by their bytes, not 4 MB each: full batches
        # Spark checks the explicitly named image files in a listing job of up to 10,000 tasks by default;
        # a few tasks per core halve that job's time on 20k files.
        "spark.sql.sources.parallelPartitionDiscovery.parallelism":
            str(4 * spark.sparkContext.defaultParallelism),
    }
    with temporary_conf(spark, settings):
        contents = read_contents(spark, inventory.images, args.partitions)
        results = contents.mapInPandas(featurize_batches(provider, args.max_pixels), RESULT_SCHEMA)
        results = results.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            counts = {row["reason"]: row["count"] for row in results.groupBy("reason").count().collect()}
            report = _report(inventory, counts, weights.sha256, weights.source)
            check_invariant(report)
            features = results.where(F.col("reason").isNull())
            features.select("path", "label", "features", F.lit(weights.sha256).alias("weights_sha256")) \
                .write.mode("overwrite").parquet(args.output)
            quarantined = results.where(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)
            quarantined = quarantined.unionByName(_rejected_frame(spark, inventory))
            quarantined.write.mode("overwrite").parquet(args.quarantine)
        finally:
            results.unpersist()
    report.update(model_load_s=round(model_load_s, 3), featurize_s=round(time.perf_counter() - started, 3),
                  batch_size=args.batch_size, tf_threads=tf_threads, backend=args.backend,
                  # a converted model's agreement with Keras, checked before it ran (None: Keras itself)
                  conversion_min_cosine_vs_keras=getattr(provider, "min_cosine_vs_keras", None))
    print(f"featurize: images found {report['images_found']} = featurized {report['featurized']}"
          f" + quarantined {report['quarantined']} {report['quarantine_by_reason']}")
    if args.report:
        hadoop_fs.write_json(spark, args.report, report)
    return report


def read_contents(spark: SparkSession, images: list[str], partitions: int | None = None) -> DataFrame:
    """``(path, content)`` of every image: Spark's ``binaryFile`` reader + a driver read of hidden names."""
    visible = [uri for uri in images if not is_hidden_from_spark(uri)]
    hidden = [(uri, hadoop_fs.read_bytes(spark, uri)) for uri in images if is_hidden_from_spark(uri)]
    contents = spark.createDataFrame(hidden, CONTENT_SCHEMA)
    if visible:
        binary = spark.read.format("binaryFile").load([escape_glob(uri) for uri in visible])
        contents = binary.select("path", "content").unionByName(contents)
    return contents.repartition(partitions) if partitions else contents


def featurize_batches(
    provider: ModelProvider, max_pixels: int
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The ``mapInPandas`` function: ``(path, content)`` batches in, ``RESULT_SCHEMA`` batches out."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield featurize_batch(batch, provider, max_pixels)

    return run


def featurize_batch(batch: pd.DataFrame, provider: ModelProvider, max_pixels: int) -> pd.DataFrame:
    """Decode every row of ``batch``, run the model once on all decodable images, quarantine the rest."""
    decoded = [decode_image(bytes(content), max_pixels) for content in batch["content"]]
    usable = [i for i, item in enumerate(decoded) if not isinstance(item, Quarantine)]
    features: list[np.ndarray | None] = [None] * len(decoded)
    if usable:
        vectors = np.asarray(provider.embedder()(np.stack([decoded[i] for i in usable])), dtype=np.float32)
        if vectors.shape != (len(usable), FEATURE_DIM):
            raise ValueError(f"embedder returned shape {vectors.shape}, "
                             f"expected {(len(usable), FEATURE_DIM)}")
        for i, vector in zip(usable, vectors):
            features[i] = vector
    return pd.DataFrame({
        "path": batch["path"],
        "label": [label_of(path) for path in batch["path"]],
        "features": features,
        "reason": [item.reason if isinstance(item, Quarantine) else None for item in decoded],
        "detail": [item.detail if isinstance(item, Quarantine) else None for item in decoded],
    })


def check_invariant(report: dict) -> None:
    """Fail unless every file found was featurized or quarantined."""
    if report["images_found"] != report["featurized"] + report["quarantined"]:
        raise InvariantViolation(
            f"images found {report['images_found']} != featurized {report['featurized']}"
            f" + quarantined {report['quarantined']}: some files were silently dropped"
        )


def _rejected_frame(spark: SparkSession, inventory: Inventory) -> DataFrame:
    rows = [(uri, q.reason, q.detail) for uri, q in inventory.rejected]
    return spark.createDataFrame(rows, "path string, reason string, detail string")


def _report(inventory: Inventory, counts: dict[str | None, int], weights_sha256: str,
            weights_source: str) -> dict:
    by_reason = dict.fromkeys(REASON_CODES, 0)
    for reason, count in counts.items():
        if reason is not None:
            by_reason[reason] += count
    for _, quarantine in inventory.rejected:
        by_reason[quarantine.reason] += 1
    return {
        "images_found": inventory.found,
        "featurized": counts.get(None, 0),
        "quarantined": sum(by_reason.values()),
        "quarantine_by_reason": by_reason,
        "weights_sha256": weights_sha256,
        "weights_source": weights_source,
    }
