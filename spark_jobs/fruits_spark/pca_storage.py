"""How the ``pca`` column is stored: float32 values rounded to float16's precision, byte-stream-split, zstd.

A PCA coordinate needs far fewer than float32's 24 significant bits: rounded to float16's 11 (10 stored
mantissa bits, a relative error of at most ``UNIT_ROUNDOFF`` = 2^-11), the k-NN probe accuracy of the
labels does not move (benchmarks/RESULTS.md, storage what-ifs). Spark has no float16 type, so the
values stay ``array<float>`` (every reader keeps working) with their 13 low mantissa bits zeroed
(round to nearest even, float32's exponent range: no overflow or underflow as a float16 cast would
have). Parquet's ``BYTE_STREAM_SPLIT`` encoding (parquet-java's ``parquet.enable.bytestreamsplit``,
supported for FLOAT columns since parquet-java 1.12, so in EMR 7's Spark 3.5 and in Spark 4) puts the
i-th byte of every value together: the zeroed low bytes and the repetitive exponent bytes then compress
away under zstd, leaving about 2 bytes per value, as a float16 would.
"""
from __future__ import annotations

import numpy as np

MANTISSA_BITS = 10  # float16's stored mantissa bits
UNIT_ROUNDOFF = 2.0 ** -(MANTISSA_BITS + 1)  # largest relative error of a rounded value
_DROPPED_BITS = 23 - MANTISSA_BITS  # of float32's 23 stored mantissa bits
# Parquet writer options of the pca table (DataFrameWriter options reach parquet-java's Hadoop settings).
# EMR 7.x ships Spark 3.5.x (docs.aws.amazon.com/emr/latest/ReleaseGuide/Spark-release-history.html),
# which bundles parquet-java 1.13 (``parquet.enable.bytestreamsplit`` since 1.12) and zstd; the pinned
# local Spark 4.x bundles parquet-java 1.17. The dictionary would be tried first and never pays off for
# unique paths or floats; the labels' few values cost ~1 byte per row with zstd alone.
WRITE_OPTIONS = {
    "compression": "zstd",
    "parquet.enable.bytestreamsplit": "true",
    "parquet.enable.dictionary": "false",
}


def round_to_stored_precision(values: np.ndarray) -> np.ndarray:
    """``values`` as float32 rounded to ``MANTISSA_BITS`` mantissa bits (to nearest, ties to even)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    half = np.uint32((1 << (_DROPPED_BITS - 1)) - 1)
    kept_lowest = (bits >> np.uint32(_DROPPED_BITS)) & np.uint32(1)
    rounded = (bits + half + kept_lowest) & np.uint32(~((1 << _DROPPED_BITS) - 1) & 0xFFFFFFFF)
    return rounded.view(np.float32)
