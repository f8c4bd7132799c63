"""The Spark side of the exact PCA: per-partition ``FeatureStats`` and the projection of every row.

Both run numpy on Arrow record batches with ``DataFrame.mapInArrow`` (in PySpark since 3.3, so in both
EMR 7's 3.5 and the pinned 4.x): an ``array<float>`` column arrives as an Arrow list whose flat values
become an (n, d) matrix without a Python object per row (``mapInPandas`` would hand over one numpy
array per row). Batches hold ``spark.sql.execution.arrow.maxRecordsPerBatch`` rows (default 10,000).

The workers' numpy uses as many BLAS threads as the task has cores (``spark.task.cpus``), not one per core
of the machine in every concurrent task (``fruits_spark.session.blas_threads_per_task``).

Statistics: one float64 matrix product per batch, combined inside the partition, then ONE serialized
``FeatureStats`` row per partition, reduced to the driver with ``treeAggregate`` (a balanced tree: the
driver never holds more than a few 13 MB scatter matrices at a time). Rows whose length is not the
expected dimension are not fitted but reported (``RaggedRowsError``), so the one pass over the features
also checks their shape.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame
from pyspark.sql.types import ArrayType, FloatType, StructField, StructType

from fruits_spark.covariance import FeatureStats, PcaModel
from fruits_spark.pca_storage import round_to_stored_precision
from fruits_spark.session import blas_threads_per_task, worker_environment

PARTITION_STATS_SCHEMA = "lengths array<int>, stats binary"
NULL_LENGTH = -1  # how a null array is reported among the lengths


class RaggedRowsError(ValueError):
    """Some rows of the column do not have the expected number of values (``lengths``: every one seen)."""

    def __init__(self, column: str, lengths: list[int]):
        self.lengths = lengths
        super().__init__(f"column {column} has rows of differing lengths: {lengths}")


def batch_matrix(batch: pa.RecordBatch, column: str, dim: int) -> np.ndarray:
    """The ``column`` of a batch as an (n, dim) matrix (its flat Arrow values, no copy when possible)."""
    values = batch.column(column).flatten().to_numpy(zero_copy_only=False)
    return values.reshape(batch.num_rows, dim)


def _row_lengths(batch: pa.RecordBatch, column: str) -> np.ndarray:
    return pc.list_value_length(batch.column(column)).fill_null(NULL_LENGTH).to_numpy(zero_copy_only=False)


def _partition_stats(column: str, dim: int):
    """The ``mapInArrow`` function: one row per partition, (every row length seen, serialized stats)."""
    def partition_stats(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        stats, lengths = FeatureStats.empty(dim), set()
        for batch in batches:
            batch_lengths = _row_lengths(batch, column)
            lengths.update(np.unique(batch_lengths).tolist())
            if lengths == {dim}:
                stats = stats.combine(FeatureStats.of_rows(batch_matrix(batch, column, dim)))
        if lengths:
            yield pa.RecordBatch.from_pydict(
                {"lengths": [sorted(lengths)], "stats": [stats.to_bytes() if lengths == {dim} else None]},
                schema=pa.schema([("lengths", pa.list_(pa.int32())), ("stats", pa.binary())]))
    return partition_stats


def _merge(left: tuple[frozenset, FeatureStats | None], right: tuple[frozenset, FeatureStats | None]):
    lengths = left[0] | right[0]
    if left[1] is None or right[1] is None:
        return lengths, left[1] or right[1]
    return lengths, left[1].combine(right[1])


def column_stats(frame: DataFrame, column: str, dim: int) -> FeatureStats:
    """``FeatureStats`` of the ``array<float>`` ``column`` (every row must have ``dim`` values).

    Raises ``RaggedRowsError`` listing every length seen when some row has another length (or is null).
    """
    def parse(row) -> tuple[frozenset, FeatureStats | None]:
        return frozenset(row.lengths), None if row.stats is None else FeatureStats.from_bytes(row.stats)

    with worker_environment(frame.sparkSession, blas_threads_per_task(frame.sparkSession)):
        parts = frame.select(column).mapInArrow(_partition_stats(column, dim), PARTITION_STATS_SCHEMA)
        lengths, stats = parts.rdd.map(parse).treeAggregate((frozenset(), None), _merge, _merge)
    if lengths - {dim}:
        raise RaggedRowsError(column, sorted(lengths))
    return stats or FeatureStats.empty(dim)


def project(frame: DataFrame, model: PcaModel, column: str = "features", output: str = "pca",
            keep: tuple[str, ...] = ("path", "label")) -> DataFrame:
    """``keep`` columns plus ``output``: ``model.project`` of ``column`` as ``array<float>`` (k values),
    rounded to the stored precision (``fruits_spark.pca_storage``)."""
    shared = frame.sparkSession.sparkContext.broadcast(model)  # mean + components: (k + 1) * d float64
    schema = StructType([frame.schema[name] for name in keep]
                        + [StructField(output, ArrayType(FloatType()))])
    k, dim = model.k, model.input_dim

    def project_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            coordinates = round_to_stored_precision(shared.value.project(batch_matrix(batch, column, dim)))
            offsets = pa.array(np.arange(0, coordinates.size + 1, k, dtype=np.int32))
            vectors = pa.ListArray.from_arrays(offsets, pa.array(coordinates.ravel(), pa.float32()))
            yield pa.RecordBatch.from_arrays([batch.column(name) for name in keep] + [vectors],
                                             names=[*keep, output])

    with worker_environment(frame.sparkSession, blas_threads_per_task(frame.sparkSession)):
        return frame.select(*keep, column).mapInArrow(project_batches, schema)
