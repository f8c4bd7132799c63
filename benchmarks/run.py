"""`make bench`: measure everything in one run and write benchmarks/results.json + benchmarks/RESULTS.md.

    python -m benchmarks.run [--images 1024] [--rounds 3] [--pca-rows 10000,100000,1000000] ...
    python -m benchmarks.run --only pca    # the PCA part alone, merged into the existing results files

Steps, each printing progress: image set -> reference Keras model -> Keras batch-size tuning ->
images per TFLite interpreter call -> single-process runtimes compared (interleaved rounds) -> Spark
featurize job (cold run, then rounds of broadcast Keras, naive reload and the job's other backends, then
more rounds of the default backend's steady-state pair) -> PCA (``benchmarks.pca_bench``: accuracy and
storage on the real features, scaling on synthetic rows against Spark ML's PCA, refit cost) -> cost per
million images -> results files. Scratch files live in a temporary folder, removed at the end.
The PCA part (accuracy, k-NN probe accuracy of the labels, storage) runs on the features of
``--probe-images`` images (all 3,000 of ../shared/fruits-sample by default) from one unmeasured featurize
run with the job's default backend.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.costing import cost_summary
from benchmarks.images import prepare_image_set
from benchmarks.inference import compare_invoke_batches, compare_runtimes, tune_batch_size
from benchmarks.interpretation import backend_decision, interpret, pca_note
from benchmarks.inventory_bench import measure_inventory, measure_s3_listing
from benchmarks.machine import machine_info
from benchmarks.pca_bench import ONE_MILLION, measure_pca, merge_pca_results
from benchmarks.pca_scaling import PCA_K
from benchmarks.reference import load_reference
from benchmarks.report import check_targets, write_results
from benchmarks.runtimes import CONVERSION_NOTES, REFERENCE, RUNTIMES
from benchmarks.spark_featurize import featurize_once, measure_spark, reusing_factory, start_session
from benchmarks.timing import stopwatch
from fruits_spark.backends import DEFAULT_BACKEND, INVOKE_BATCH, KERAS, TFLITE
from fruits_spark.model import ModelProvider

# the single-process runtime (benchmarks.runtimes) that runs each job backend alone, for the overhead ratio
SINGLE_PROCESS_RUNTIME = {KERAS: REFERENCE, TFLITE: "tflite_xnnpack"}

OUTPUT_DIR = Path(__file__).resolve().parent


def _int_list(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if min(values, default=1) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=1024, help="N images for every throughput measurement")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the runtime comparison")
    parser.add_argument(
        "--spark-rounds", type=int, default=1, help="interleaved rounds of the Spark providers"
    )
    parser.add_argument("--steady-rounds", type=int, default=3,
                        help="rounds of the default backend's N and 2N-image runs (its steady state)")
    parser.add_argument(
        "--batch-sizes", type=_int_list, default=[4, 8, 16, 32, 64], help="Keras batch sizes to try"
    )
    parser.add_argument("--invoke-batches", type=_int_list, default=[1, 2, 4, 16, 64],
                        help="images per TFLite interpreter call to compare (the job uses "
                             "fruits_spark.backends.INVOKE_BATCH)")
    parser.add_argument("--probe-images", type=int, default=3000,
                        help="images featurized (unmeasured) for the PCA accuracy, probe and storage")
    parser.add_argument("--inventory-files", type=int, default=100_000,
                        help="files in the input list whose inventory and read are timed (scaled to "
                             "100,000), and keys the plan task lists from the emulator")
    parser.add_argument("--tuning-images", type=int, default=128, help="images used to tune the batch size")
    parser.add_argument("--runtimes", default=",".join(r.name for r in RUNTIMES),
                        help=f"runtimes to compare ({REFERENCE} is always included)")
    parser.add_argument("--pca-rows", type=_int_list, default=[10_000, 100_000, ONE_MILLION],
                        help="synthetic row counts for the PCA job's time curve ('' = none)")
    parser.add_argument("--spark-ml-rows", type=_int_list, default=[10_000, 100_000],
                        help="row counts at which Spark ML's PCA runs too, for comparison ('' = none)")
    parser.add_argument("--pca-k", type=int, default=PCA_K, help="PCA components for the storage ratio")
    parser.add_argument("--only", choices=["pca"], help="run only this part and merge it into the existing "
                                                        "results.json/RESULTS.md of --output-dir")
    parser.add_argument(
        "--output-dir", type=Path, default=OUTPUT_DIR, help="where results.json/RESULTS.md go"
    )
    return parser.parse_args(argv)


def progress(message: str) -> None:
    print(message, flush=True)


def probe_features(spark, count: int, weights: Path, work: Path, batch_size: int,
                   built: dict[str, ModelProvider]) -> str:
    """The features of ``count`` images from one unmeasured featurize run (default backend, its provider
    taken from ``built`` when an earlier job of this session built it): their folder."""
    images = prepare_image_set(count, work / "probe_images")
    progress(f"  PCA input: {images.description}, featurized once (not measured)")
    featurize_once(spark, images, weights, work / "probe", batch_size,
                   reusing_factory(built, DEFAULT_BACKEND), DEFAULT_BACKEND)
    return str(work / "probe" / "features")


def main_pca_only(args: argparse.Namespace) -> dict:
    """The PCA part alone, merged into the results of the last full run in ``args.output_dir``."""
    earlier = json.loads((args.output_dir / "results.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="fruits-bench-pca-") as scratch:
        work = Path(scratch)
        reference = load_reference(work)
        spark, _ = start_session(os.cpu_count() or 1)
        try:
            features_dir = probe_features(spark, args.probe_images, reference.weights_path, work,
                                          earlier["batch_size"], {})
            progress("[2/3] PCA: real features, then scaling on synthetic rows against Spark ML's PCA")
            pca = measure_pca(spark, features_dir, args.pca_rows, args.spark_ml_rows, args.pca_k,
                              work / "pca", progress)
        finally:
            spark.stop()
    results = merge_pca_results(earlier, pca)
    json_path, md_path = write_results(results, args.output_dir)
    progress(f"[3/3] merged the PCA results into {json_path} and {md_path}")
    return results


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.only == "pca":
        return main_pca_only(args)
    wall = stopwatch()
    cores = os.cpu_count() or 1
    machine = machine_info()
    wanted = {REFERENCE, *args.runtimes.split(",")}
    runtimes = tuple(r for r in RUNTIMES if r.name in wanted)
    with tempfile.TemporaryDirectory(prefix="fruits-bench-") as scratch:
        work = Path(scratch)
        images = prepare_image_set(args.images, work / "images")
        double_images = prepare_image_set(2 * args.images, work / "double_images")
        progress(f"[1/6] image set: {images.description} (and {len(double_images.paths)} for the job's "
                 "steady state)")
        reference = load_reference(work)
        progress(f"[2/6] reference model: {reference.description}; tuning the Keras batch size")
        keras_predict = runtimes[0].build(reference.model, work, cores)
        batch_size, tuning = tune_batch_size(
            keras_predict, images.paths[: args.tuning_images], args.batch_sizes, args.rounds, progress
        )
        invoke_batches = compare_invoke_batches(reference.model, images.paths[: args.tuning_images],
                                                batch_size, args.invoke_batches, args.rounds, work, 1,
                                                progress)
        progress(
            f"[3/6] comparing {len(runtimes)} runtimes at batch {batch_size} on {len(images.paths)} images"
        )
        compared = compare_runtimes(reference.model, images.paths, batch_size, args.rounds, work, cores,
                                    runtimes, progress)
        progress("[4/6] Spark featurize job: session, cold run, then broadcast vs naive rounds")
        spark, session_s = start_session(cores)
        providers: dict[str, ModelProvider] = {}  # built by the first job of each backend, then reused
        try:
            spark_results = measure_spark(spark, session_s, images, double_images, reference.weights_path,
                                          batch_size, args.spark_rounds, work / "spark", args.steady_rounds,
                                          providers, progress)
            inventory = measure_inventory(spark, args.inventory_files, work / "inventory", batch_size)
            progress(f"  inventory: {inventory}")
            s3_listing = measure_s3_listing(args.inventory_files, work / "s3_listing")
            progress(f"  plan task's S3 listing: {s3_listing}")
            features_dir = probe_features(spark, args.probe_images, reference.weights_path, work, batch_size,
                                          providers)
            progress("[5/6] PCA: real features, then scaling on synthetic rows against Spark ML's PCA")
            pca = measure_pca(
                spark,
                features_dir,
                args.pca_rows,
                args.spark_ml_rows,
                args.pca_k,
                work / "pca",
                progress,
            )
        finally:
            spark.stop()
    steady = spark_results["spark_steady_images_per_s"] or spark_results["spark_images_per_s"]
    cost = cost_summary(steady, cores)
    cost_by_backend = {KERAS: cost_summary(spark_results["keras_job_images_per_s"], cores),
                       **{name.removeprefix("backend_"): cost_summary(rate, cores)
                          for name, rate in spark_results["images_per_s_by_provider"].items()
                          if name.startswith("backend_")}}
    keras_rate = compared[REFERENCE]["images_per_s"]
    alone = compared.get(SINGLE_PROCESS_RUNTIME[DEFAULT_BACKEND], {}).get("images_per_s")
    machine["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    results = {
        "keras_images_per_s": keras_rate,
        "spark_images_per_s": spark_results["spark_images_per_s"],
        "spark_steady_images_per_s": spark_results["spark_steady_images_per_s"],
        "spark_startup_s": spark_results["spark_startup_s"],
        "naive_images_per_s": spark_results["naive_images_per_s"],
        "featurize_vs_keras": round(steady / keras_rate, 3),
        "featurize_vs_backend_alone": round(steady / alone, 3) if alone else None,
        "featurize_vs_backend_alone_end_to_end": round(spark_results["spark_images_per_s"] / alone, 3)
        if alone else None,
        "default_backend": DEFAULT_BACKEND,
        "broadcast_vs_naive": spark_results["broadcast_vs_naive"],
        **pca,
        "eur_per_million_images": cost["eur_per_million_images"],
        "inventory_100k_s": inventory["inventory_100k_s"],
        "inventory": inventory,
        "s3_listing": s3_listing,
        "machine": machine,
        "image_set": images.description,
        "real_images": images.real,
        "weights": reference.description,
        "real_weights": reference.real_weights,
        "batch_size": batch_size,
        "keras_batch_tuning": {str(size): round(rate, 2) for size, rate in tuning.items()},
        "tflite_invoke_batch": {
            "job_uses": INVOKE_BATCH, "threads": 1,
            "images_per_s": {str(size): round(rate, 2) for size, rate in invoke_batches.items()},
        },
        "rounds": args.rounds,
        "runtimes": compared,
        "conversion_notes": list(CONVERSION_NOTES),
        "spark": spark_results,
        "cost": cost,
        "cost_by_backend": cost_by_backend,
    }
    results["targets"] = check_targets(results)
    results["backend_decision"] = backend_decision(compared, SINGLE_PROCESS_RUNTIME[DEFAULT_BACKEND])
    results["pca_note"] = pca_note(results)
    results["interpretation"] = interpret(results)
    results["wall_s"] = round(wall(), 1)
    json_path, md_path = write_results(results, args.output_dir)
    progress(f"[6/6] wrote {json_path} and {md_path} in {results['wall_s']} s")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
