"""Fixtures of the benchmark tests: the reference Keras model (real weights when ../shared has them)."""
from __future__ import annotations

import pytest

from benchmarks.reference import Reference, load_reference


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> Reference:
    """MobileNetV2 with the real weights, or seeded random ones where ../shared lacks them."""
    return load_reference(tmp_path_factory.mktemp("reference"))
