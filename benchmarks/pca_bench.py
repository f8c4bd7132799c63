"""The PCA part of the benchmarks, run by ``make bench`` or alone (``python -m benchmarks.run --only pca``).

``measure_pca`` returns the results keys of the PCA part: accuracy and storage on the real features, the
scaling curve (exact job at every size, Spark ML's PCA at the sizes it can do in reasonable time), the
refit cost, ``pca_1m_s`` (fit + projection of 1M x 1280 rows by the job) and when / under which load it
ran. ``merge_pca_results`` puts them into an earlier full run's results without rerunning the rest.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from pyspark.sql import SparkSession

from benchmarks.interpretation import interpret, pca_note
from benchmarks.pca_scaling import SYNTHETIC_INPUT, pca_on_real_features, pca_scaling, refit_cost
from benchmarks.report import check_targets
from benchmarks.timing import stopwatch

ONE_MILLION = 1_000_000


def _load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def measure_pca(
    spark: SparkSession,
    features_dir: str,
    row_counts: list[int],
    spark_ml_rows: list[int],
    k: int,
    workdir: Path,
    progress: Callable[[str], None] = print,
) -> dict:
    """Every PCA measurement; ``features_dir`` holds the featurize job's output for the real images."""
    wall = stopwatch()
    started = {"date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "load_average_at_start": _load_average()}
    storage, accuracy = pca_on_real_features(spark, features_dir, workdir / "real", k)
    progress(f"  real features: exact job {accuracy['exact_pca_job']}, Spark ML {accuracy['spark_ml_pca']}")
    scaling = pca_scaling(spark, row_counts, spark_ml_rows, workdir / "scaling", progress)
    refit = refit_cost(spark, max(row_counts), workdir / "scaling") if row_counts else None
    if refit:
        progress(f"  refit: {refit}")
    one_million = scaling.get(str(ONE_MILLION), {}).get("exact", {}).get("fit_and_project_s")
    return {
        "storage_ratio": storage["storage_ratio"],
        "storage": storage,
        "probe_accuracy_features": accuracy["probe"]["features"]["accuracy"],
        "probe_accuracy_pca": accuracy["probe"]["pca"]["accuracy"],
        "pca_accuracy": accuracy,
        "pca_fit_s": {rows: result["exact"]["fit_s"] for rows, result in scaling.items()},
        "pca_1m_s": one_million,
        "pca_scaling": scaling,
        "pca_refit": refit,
        "pca_input": SYNTHETIC_INPUT,
        "pca_measured": {**started, "load_average_at_end": _load_average(), "wall_s": round(wall(), 1)},
    }


def merge_pca_results(results: dict, pca_results: dict) -> dict:
    """``results`` (a whole earlier run) with its PCA part replaced and the verdicts recomputed."""
    merged = {**results, **pca_results}
    merged["targets"] = check_targets(merged)
    merged["pca_note"] = pca_note(merged)
    merged["interpretation"] = interpret(merged)
    return merged
