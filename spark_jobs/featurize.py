"""spark-submit entry point of the featurize job: images -> MobileNetV2 features + quarantine."""
from __future__ import annotations

import argparse
import sys

from fruits_spark.backends import BACKENDS, DEFAULT_BACKEND
from fruits_spark.decode import DEFAULT_MAX_PIXELS
from fruits_spark.featurize_job import FeaturizeArgs, run_featurize
from fruits_spark.session import run_job


def parse_args(argv: list[str] | None = None) -> FeaturizeArgs:
    parser = argparse.ArgumentParser(prog="featurize.py", description=__doc__)
    parser.add_argument("--input", required=True,
                        help="folder of images, one sub-folder per class (any Hadoop URI)")
    parser.add_argument("--input-list", help="text file of image URIs, one per line: featurize only these")
    parser.add_argument("--output", required=True, help="Parquet features output URI")
    parser.add_argument("--quarantine", required=True, help="Parquet quarantine output URI")
    parser.add_argument("--weights", required=True, help="Keras weights file (path or URI), or 'imagenet'")
    parser.add_argument("--report", help="where to write the JSON report")
    parser.add_argument("--batch-size", type=_positive, default=64,
                        help="images per Arrow batch and model call")
    parser.add_argument("--tf-threads", type=_positive,
                        help="TensorFlow threads per task (default spark.task.cpus)")
    parser.add_argument("--max-pixels", type=_positive, default=DEFAULT_MAX_PIXELS,
                        help="larger images are quarantined as too_many_pixels")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default=DEFAULT_BACKEND,
                        help=f"how workers run MobileNetV2 (default {DEFAULT_BACKEND}; keras is the "
                             "reference)")
    ns = parser.parse_args(argv)
    return FeaturizeArgs(input=ns.input, input_list=ns.input_list, output=ns.output, quarantine=ns.quarantine,
                         weights=ns.weights, report=ns.report, batch_size=ns.batch_size,
                         tf_threads=ns.tf_threads, max_pixels=ns.max_pixels, backend=ns.backend)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


if __name__ == "__main__":
    args = parse_args()
    sys.exit(run_job("featurize", lambda spark: run_featurize(spark, args)))
