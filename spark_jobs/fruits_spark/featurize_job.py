"""The featurize job: images -> 1280-d MobileNetV2 features, and a quarantine record for every unusable file.

Flow: inventory (every file named counts; no driver call per file, see ``fruits_spark.inventory``) ->
weights read once on the driver -> image bytes read by Spark (``binaryFile``) in the executors ->
``mapInArrow`` decodes each Arrow batch (``--batch-size`` rows) with Pillow and runs the model on the
whole batch -> the result is persisted once -> files that vanished between the inventory and their read
(Spark skips them: ``ignoreMissingFiles``) are found by difference and quarantined as ``missing_file`` ->
split into ``features/`` and ``quarantine/`` Parquet -> the invariant
``images_found = featurized + quarantined`` is checked (the job fails loudly otherwise) -> JSON report.

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
import pyarrow as pa
from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession, functions as F
from pyspark.sql.types import ArrayType, BinaryType, FloatType, StringType, StructField, StructType

from fruits_spark import hadoop_fs
from fruits_spark.backends import DEFAULT_BACKEND, provider_factory as backend_provider_factory
from fruits_spark.decode import (
    DEFAULT_MAX_PIXELS,
    REASON_CODES,
    Quarantine,
    decode_image,
)
from fruits_spark.inventory import PATH_SEPARATOR, Inventory, still_listed, take_inventory, unreadable
from fruits_spark.mobilenet import FEATURE_DIM
from fruits_spark.model import ModelProvider, ProviderFactory
from fruits_spark.paths import escape_glob, label_of
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
    with temporary_conf(spark, read_settings(spark, args.batch_size)):
        contents = read_contents(spark, inventory, args.partitions)
        results = contents.mapInArrow(featurize_batches(provider, args.max_pixels), RESULT_SCHEMA)
        results = results.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            counts = {row["reason"]: row["count"] for row in results.groupBy("reason").count().collect()}
            vanished = vanished_before_read(spark, inventory, results, sum(counts.values()))
            rejected = inventory.rejected + vanished
            report = _report(inventory.found, rejected, counts, weights.sha256, weights.source)
            check_invariant(report)
            features = results.where(F.col("reason").isNull())
            features.select("path", "label", "features", F.lit(weights.sha256).alias("weights_sha256")) \
                .write.mode("overwrite").parquet(args.output)
            quarantined = results.where(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)
            quarantined = quarantined.unionByName(_rejected_frame(spark, rejected))
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


def read_settings(spark: SparkSession, batch_size: int) -> dict[str, str]:
    """The Spark settings the job reads and batches its images with."""
    return {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(batch_size),
        "spark.sql.files.openCostInBytes": "1",  # pack files by their bytes, not 4 MB each: full batches
        # a few tasks per core, so the last tasks leave no core idle for long (3 tasks on 2 cores: 25 %)
        "spark.sql.files.minPartitionNum": str(4 * spark.sparkContext.defaultParallelism),
        # Spark checks the explicitly named image files in a listing job of up to 10,000 tasks by default;
        # a few tasks per core halve that job's time on 20k files.
        "spark.sql.sources.parallelPartitionDiscovery.parallelism":
            str(4 * spark.sparkContext.defaultParallelism),
        # a file deleted after the inventory is skipped by the reader, then quarantined by difference
        "spark.sql.files.ignoreMissingFiles": "true",
    }


def read_contents(spark: SparkSession, inventory: Inventory, partitions: int | None = None) -> DataFrame:
    """``(path, content)`` of every image: Spark's ``binaryFile`` reader + a driver read of the few others."""
    driver_read = [(uri, hadoop_fs.read_bytes(spark, uri)) for uri in inventory.driver_images]
    contents = spark.createDataFrame(driver_read, CONTENT_SCHEMA)
    if inventory.images:
        contents = _binary_files(spark, inventory.images).select("path", "content").unionByName(contents)
    return contents.repartition(partitions) if partitions else contents


def _binary_files(spark: SparkSession, images: list[str], attempts: int = 3) -> DataFrame:
    """Spark's ``binaryFile`` reader over ``images``; files deleted since the inventory are left out.

    Spark checks that every named path exists when the reader is created. When one was deleted since the
    inventory, the folders are listed again and the reader is made over what is left (the reconciliation
    quarantines the rest); ``attempts`` bounds this against a folder being emptied while we look.
    """
    def reader(paths: list[str]) -> DataFrame:
        # PySpark would copy a Python list to the JVM with one py4j call per path (10 s per 100,000):
        # the paths cross as one string, split in the JVM (no path the inventory gives Spark holds it)
        joined = PATH_SEPARATOR.join(escape_glob(uri) for uri in paths)
        array = spark.sparkContext._jvm.java.util.regex.Pattern.compile(PATH_SEPARATOR).split(joined)
        return DataFrame(spark._jsparkSession.read().format("binaryFile").load(array), spark)

    for _ in range(attempts - 1):
        try:
            return reader(images)
        except AnalysisException as exc:
            if "PATH_NOT_FOUND" not in str(exc):
                raise
        images = still_listed(spark, images)
        if not images:
            return spark.createDataFrame([], CONTENT_SCHEMA)
    return reader(images)


def vanished_before_read(spark: SparkSession, inventory: Inventory, results: DataFrame,
                         rows: int) -> list[tuple[str, Quarantine]]:
    """Quarantine records for inventoried images the reader did not return (it returned ``rows``).

    Costs nothing when every image came back; otherwise the missing paths are found by an anti-join and
    each is checked on the driver: gone -> ``missing_file``, 0 bytes -> ``empty_file`` (Spark's scan
    skips empty files). One that is still there with bytes stays unaccounted for: ``check_invariant`` fails.
    """
    to_read = inventory.images + inventory.driver_images
    if rows >= len(to_read):
        return []
    expected = spark.createDataFrame([(uri,) for uri in to_read], "path string")
    unread = [row.path for row in expected.join(results.select("path"), "path", "left_anti").collect()]
    gone = "deleted after the inventory, before it was read"
    records = [(uri, unreadable(spark, uri, gone)) for uri in unread]
    return [(uri, quarantine) for uri, quarantine in records if quarantine]


def featurize_batches(
    provider: ModelProvider, max_pixels: int
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: ``(path, content)`` batches in, ``RESULT_SCHEMA`` batches out."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield featurize_batch(batch, provider, max_pixels)

    return run


def featurize_batch(batch: pa.RecordBatch, provider: ModelProvider, max_pixels: int) -> pa.RecordBatch:
    """Decode every row of ``batch``, run the model once on all decodable images, quarantine the rest.

    Arrow in, Arrow out: the features leave as one float32 buffer (a list array whose rows are slices
    of it, null where the image is quarantined), with no Python object per value.
    """
    paths = batch.column("path").to_pylist()
    decoded = [decode_image(content, max_pixels) for content in batch.column("content").to_pylist()]
    usable = [i for i, item in enumerate(decoded) if not isinstance(item, Quarantine)]
    vectors = np.zeros((0, FEATURE_DIM), np.float32)
    if usable:
        vectors = np.asarray(provider.embedder()(np.stack([decoded[i] for i in usable])), dtype=np.float32)
        if vectors.shape != (len(usable), FEATURE_DIM):
            raise ValueError(f"embedder returned shape {vectors.shape}, "
                             f"expected {(len(usable), FEATURE_DIM)}")
    quarantined = np.ones(len(decoded), dtype=bool)
    quarantined[usable] = False
    offsets = np.zeros(len(decoded) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum(np.where(quarantined, 0, FEATURE_DIM))
    features = pa.ListArray.from_arrays(pa.array(offsets), pa.array(vectors.reshape(-1)),
                                        mask=pa.array(quarantined))
    reasons = [item if isinstance(item, Quarantine) else None for item in decoded]
    return pa.RecordBatch.from_arrays([
        pa.array(paths, pa.string()),
        pa.array([label_of(path) for path in paths], pa.string()),
        features,
        pa.array([q.reason if q else None for q in reasons], pa.string()),
        pa.array([q.detail if q else None for q in reasons], pa.string()),
    ], names=list(RESULT_SCHEMA.names))


def check_invariant(report: dict) -> None:
    """Fail unless every file found was featurized or quarantined."""
    if report["images_found"] != report["featurized"] + report["quarantined"]:
        raise InvariantViolation(
            f"images found {report['images_found']} != featurized {report['featurized']}"
            f" + quarantined {report['quarantined']}: some files were silently dropped"
        )


def _rejected_frame(spark: SparkSession, rejected: list[tuple[str, Quarantine]]) -> DataFrame:
    rows = [(uri, q.reason, q.detail) for uri, q in rejected]
    return spark.createDataFrame(rows, "path string, reason string, detail string")


def _report(found: int, rejected: list[tuple[str, Quarantine]], counts: dict[str | None, int],
            weights_sha256: str, weights_source: str) -> dict:
    by_reason = dict.fromkeys(REASON_CODES, 0)
    for reason, count in counts.items():
        if reason is not None:
            by_reason[reason] += count
    for _, quarantine in rejected:
        by_reason[quarantine.reason] += 1
    return {
        "images_found": found,
        "featurized": counts.get(None, 0),
        "quarantined": sum(by_reason.values()),
        "quarantine_by_reason": by_reason,
        "weights_sha256": weights_sha256,
        "weights_source": weights_source,
    }
