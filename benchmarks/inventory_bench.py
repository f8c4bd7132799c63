"""How long the featurize job's inventory takes for a large input list: ``inventory_100k_s``.

``files`` tiny files (their bytes are never read here) in 100 class folders, plus the input list naming
them all, as the plan task writes it; ``fruits_spark.inventory.take_inventory`` then lists the input
folder and matches the list, as the job does before reading any image. When ``files`` is below 100,000
the time is scaled linearly to 100,000 (the listing costs the same per file) and the result says so.
"""
from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

from benchmarks.timing import stopwatch
from fruits_spark.inventory import take_inventory

TARGET_FILES = 100_000
CLASSES = 100


def measure_inventory(spark: SparkSession, files: int, workdir: Path) -> dict:
    """Seconds of ``take_inventory`` over ``files`` listed files, and its value scaled to 100,000."""
    root = workdir / "inventory_input"
    uris = []
    for i in range(files):
        path = root / f"class_{i % CLASSES:03d}" / f"{i:07d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        uris.append(path.as_uri())
    input_list = workdir / "inventory_input_list.txt"
    input_list.write_text("".join(f"{uri}\n" for uri in uris))
    elapsed = stopwatch()
    inventory = take_inventory(spark, str(root), str(input_list))
    seconds = elapsed()
    if inventory.found != files:
        raise RuntimeError(f"inventory found {inventory.found} of {files} files")
    return {"files": files, "seconds": round(seconds, 2), "files_per_s": round(files / seconds, 1),
            "inventory_100k_s": round(seconds * TARGET_FILES / files, 1),
            "scaled_from_fewer_files": files < TARGET_FILES}
