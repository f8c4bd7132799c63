"""What-if sizes of the PCA output, to explain the storage ratio: the same rows rewritten with pyarrow.

The job writes ``path``, ``label`` and ``pca`` (float32). Rewriting its Parquet with pyarrow (snappy, like
Spark) as-is, without the ``path``/``label`` columns, and with ``pca`` as float16 shows what the bytes are
spent on. These are measurements of alternatives, not of the job's output (that is ``storage_ratio``).
"""
from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def _parquet_bytes(table: pa.Table) -> int:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return len(buffer.getvalue())


def pca_size_variants(pca_dir: Path, features_bytes: int) -> dict[str, dict]:
    """Bytes and ratio to ``features_bytes`` of the job's PCA rows in three layouts."""
    table = pq.read_table(pca_dir)
    float16 = table.set_column(table.schema.get_field_index("pca"), "pca",
                               table.column("pca").cast(pa.list_(pa.float16())))
    variants = {
        "pyarrow_rewrite_as_is": table,
        "pca_column_only_float32": table.select(["pca"]),
        "pca_as_float16_with_path_label": float16,
    }
    sizes = {name: _parquet_bytes(variant) for name, variant in variants.items()}
    return {name: {"bytes": size, "ratio": round(features_bytes / size, 2)} for name, size in sizes.items()}
