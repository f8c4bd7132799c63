"""The rounding of stored PCA values: float16's precision, float32's range, a bounded relative error."""
from __future__ import annotations

import numpy as np

from fruits_spark.pca_storage import UNIT_ROUNDOFF, round_to_stored_precision


def test_values_in_float16_range_round_exactly_like_float16():
    values = np.random.default_rng(0).normal(0, 30, 100_000).astype(np.float32)
    normal = np.abs(values) > 2.0**-14  # float16 subnormals keep fewer bits; the rounding here does not
    rounded = round_to_stored_precision(values)
    np.testing.assert_array_equal(rounded[normal], values[normal].astype(np.float16).astype(np.float32))


def test_relative_error_is_at_most_the_unit_roundoff_at_any_magnitude():
    values = np.geomspace(1e-30, 1e30, 10_001).astype(np.float32)
    values = np.concatenate([values, -values])
    rounded = round_to_stored_precision(values)
    assert np.all(np.abs(rounded - values) <= UNIT_ROUNDOFF * np.abs(values))
    assert np.all(np.isfinite(rounded))  # no float16 overflow to inf, no underflow to 0
    assert np.all(rounded != 0)


def test_rounded_values_stay_put_and_keep_ten_mantissa_bits():
    rounded = round_to_stored_precision(np.random.default_rng(1).normal(size=1000))
    np.testing.assert_array_equal(round_to_stored_precision(rounded), rounded)
    assert np.all(rounded.view(np.uint32) & np.uint32(0x1FFF) == 0)
