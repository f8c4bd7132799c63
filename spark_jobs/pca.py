"""spark-submit entry point of the PCA job: features -> k principal components + model + report."""

from __future__ import annotations

import argparse
import sys

from fruits_spark.pca_job import PcaArgs, run_pca
from fruits_spark.session import run_job


def parse_args(argv: list[str] | None = None) -> PcaArgs:
    parser = argparse.ArgumentParser(prog="pca.py", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="Parquet features written by featurize.py (one partition)")
    source.add_argument("--snapshot-plan", help="snapshot_plan.json of a pipeline run: the whole snapshot's "
                        "partitions (this run's built and its statistics saved, earlier ones reused)")
    parser.add_argument("--output", required=True, help="Parquet output URI (path, label, pca)")
    parser.add_argument("--k", type=int, default=50, help="number of principal components (default 50)")
    parser.add_argument(
        "--model-output", help="folder for the fitted model: model.npz + model.json (default OUTPUT_model)"
    )
    parser.add_argument("--report", help="where to write the JSON report")
    ns = parser.parse_args(argv)
    return PcaArgs(input=ns.input, output=ns.output, k=ns.k, model_output=ns.model_output, report=ns.report,
                   snapshot_plan=ns.snapshot_plan)


if __name__ == "__main__":
    args = parse_args()
    sys.exit(run_job("pca", lambda spark: run_pca(spark, args)))
