"""spark-submit entry point of the PCA job: features -> k principal components + model + report."""
from __future__ import annotations

import argparse
import sys

from fruits_spark.pca_job import PcaArgs, run_pca
from fruits_spark.session import run_job


def parse_args(argv: list[str] | None = None) -> PcaArgs:
    parser = argparse.ArgumentParser(prog="pca.py", description=__doc__)
    parser.add_argument("--input", required=True, help="Parquet features written by featurize.py")
    parser.add_argument("--output", required=True, help="Parquet output URI (path, label, pca)")
    parser.add_argument("--k", type=int, default=50, help="number of principal components (default 50)")
    parser.add_argument("--model-output",
                        help="where to save the fitted PipelineModel (default OUTPUT_model)")
    parser.add_argument("--report", help="where to write the JSON report")
    ns = parser.parse_args(argv)
    return PcaArgs(input=ns.input, output=ns.output, k=ns.k, model_output=ns.model_output, report=ns.report)


if __name__ == "__main__":
    args = parse_args()
    sys.exit(run_job("pca", lambda spark: run_pca(spark, args)))
