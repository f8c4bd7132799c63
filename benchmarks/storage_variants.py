"""What-if sizes of the PCA output, with what each costs in accuracy: the job's rows rewritten with pyarrow.

The job writes ``path``, ``label`` and ``pca`` (float32 rounded to float16's precision, byte-stream-split,
zstd: ``fruits_spark.pca_storage``). Starting from its rows, the variants below rewrite the table with
pyarrow: full float32 precision (the values before rounding are recomputed with the saved model), with
and without byte-stream-split and zstd, pyarrow's own float16, bfloat16's precision (7 mantissa bits),
and without the ``label`` column (a join with the catalogue could give it). Each reports its bytes, its
ratio to ``features_bytes`` and the k-NN probe accuracy of the labels from its decoded values
(``fruits_emr.probe``), so a smaller layout is only chosen when it costs no accuracy.
"""
from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from fruits_emr.probe import probe_accuracy
from fruits_spark.pca_storage import round_to_stored_precision

BSS = {"use_byte_stream_split": ["pca.list.element"], "use_dictionary": ["path", "label"]}


def _parquet_bytes(table: pa.Table, **options) -> int:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)
    return len(buffer.getvalue())


def _with_pca(table: pa.Table, matrix: np.ndarray, value_type: pa.DataType = pa.float32()) -> pa.Table:
    offsets = pa.array(np.arange(0, matrix.size + 1, matrix.shape[1], dtype=np.int32))
    vectors = pa.ListArray.from_arrays(offsets, pa.array(matrix.ravel(), value_type))
    return table.set_column(table.schema.get_field_index("pca"), "pca", vectors)


def _bfloat16_precision(matrix: np.ndarray) -> np.ndarray:
    bits = np.ascontiguousarray(matrix, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000)
    return rounded.view(np.float32)


def pca_size_variants(table: pa.Table, exact: np.ndarray, features_bytes: int) -> dict[str, dict]:
    """Bytes, ratio to ``features_bytes`` and probe accuracy of ``table`` (the job's rows; ``exact``: their
    float32 projections before rounding, in the same order) in several layouts."""
    labels = table.column("label").to_pylist()
    stored = round_to_stored_precision(exact)
    half = exact.astype(np.float16)
    bfloat = _bfloat16_precision(exact)
    variants = {
        "float32_snappy": (_with_pca(table, exact), {"compression": "snappy"}, exact),
        "float32_bss_zstd": (_with_pca(table, exact), {"compression": "zstd", **BSS}, exact),
        "float16_precision_zstd_no_bss": (_with_pca(table, stored), {"compression": "zstd"}, stored),
        "float16_precision_bss_zstd (the job's layout)": (_with_pca(table, stored),
                                                          {"compression": "zstd", **BSS}, stored),
        "float16_precision_bss_zstd_without_label": (_with_pca(table, stored).drop_columns(["label"]),
                                                     {"compression": "zstd", **BSS}, stored),
        "pyarrow_float16_zstd": (_with_pca(table, half, pa.float16()), {"compression": "zstd"},
                                 half.astype(np.float32)),
        "bfloat16_precision_bss_zstd": (_with_pca(table, bfloat), {"compression": "zstd", **BSS}, bfloat),
    }
    results = {}
    for name, (variant, options, values) in variants.items():
        size = _parquet_bytes(variant, **options)
        results[name] = {"bytes": size, "ratio": round(features_bytes / size, 2),
                         "probe_accuracy": probe_accuracy(values, labels)["accuracy"]}
    return results
