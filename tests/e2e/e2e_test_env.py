"""What the end-to-end tests share besides fixtures: where the DAG reads and writes, how big a run is."""
from __future__ import annotations

INPUT_PREFIX = "fruits/images"  # the DAG's default Params
OUTPUT_PREFIX = "fruits/features"
PER_CLASS, CLASSES = 3, 3
SMALL_RUN = {"k": 4, "core_instance_count": 1}
