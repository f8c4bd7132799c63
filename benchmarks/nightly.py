"""What a second night costs against the first: two real DAG runs on the local emulator, one bucket.

    python -m benchmarks.nightly [--per-class 5] [--new 10]

Night 1 publishes the sample (``--per-class`` real Fruits-360 images of every class from ../shared,
or synthetic ones); night 2 finds ``--new`` more images and publishes the next snapshot. For each night
it records, from what the run left in S3 and EMR: images featurized, each step's wall time (EMR's step
timeline), the cluster's lifetime, the bytes each step read (image bytes for featurize; feature-partition
bytes for the PCA step, which reads every partition to project it but computes statistics only for the
new one) and the cost guard's estimate. The local steps run on this machine's cores, so seconds are
only comparable within one run of this script. Results go to ``nightly`` in benchmarks/results.json and
a section of benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from fruits_emr.budget import check_budget
from fruits_emr.config import EnvDefaults, load_config
from fruits_emr.params import dag_params
from local_emr.airflow_env import airflow_environment, default_weights
from local_emr.dag_run import run_dag_test
from local_emr.paths import LOCAL_DIR
from local_emr.sample_data import upload_samples
from local_emr.server import ensure_bucket, running_emulator

BUCKET = "fruits-nightly"
INPUT_PREFIX, OUTPUT_PREFIX = "fruits/images", "fruits/features"
SECTION = "## Nightly runs: the second night against the first"
RESULTS_JSON = Path(__file__).resolve().parent / "results.json"
RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"


def _seconds(timeline: dict) -> float | None:
    start, end = timeline.get("StartDateTime"), timeline.get("EndDateTime")
    return round((end - start).total_seconds(), 1) if start and end else None


def _prefix_bytes(s3, uri: str) -> int:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/")
    return sum(obj["Size"] for page in pages for obj in page.get("Contents", []))


def _json(s3, uri: str) -> dict:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _cluster(emr) -> dict:
    """The newest cluster and its steps' wall times."""
    cluster = max(emr.list_clusters()["Clusters"], key=lambda c: c["Status"]["Timeline"]["CreationDateTime"])
    listed = emr.list_steps(ClusterId=cluster["Id"])["Steps"]
    steps = {step["Name"]: _seconds(step["Status"]["Timeline"]) for step in listed}
    timeline = cluster["Status"]["Timeline"]
    lifetime = (timeline["EndDateTime"] - timeline["CreationDateTime"]).total_seconds() \
        if timeline.get("EndDateTime") else None
    return {"steps_s": steps, "cluster_lifetime_s": round(lifetime, 1) if lifetime else None}


def measure_night(s3, emr, seconds: float) -> dict:
    """One published night, read back from latest.json and its reports."""
    pointer = _json(s3, f"s3://{BUCKET}/{OUTPUT_PREFIX}/latest.json")
    reports = pointer["reports"]
    featurize, pca = _json(s3, reports["featurize"]), _json(s3, reports["pca"])
    input_bytes = _input_list_bytes(s3, pointer["run_uri"] + "/input_list.txt")
    partitions = pca["partitions"]
    config = load_config({name: p.value for name, p in dag_params().items()}, None,
                         EnvDefaults.from_env({"FRUITS_EMR_BUCKET": BUCKET}))
    return {
        "dag_run_s": round(seconds, 1),
        "featurized": featurize["featurized"],
        "snapshot_images": pca["images"],
        **_cluster(emr),
        "featurize_read_bytes": input_bytes,
        "pca_read_bytes": sum(_prefix_bytes(s3, d) for p in partitions for d in p["dirs"]),
        "rows_with_statistics_computed": sum(p["rows"] for p in partitions if p["statistics"] == "computed"),
        "rows_with_statistics_reused": sum(p["rows"] for p in partitions if p["statistics"] == "reused"),
        "estimated_eur": round(check_budget(config, featurize["featurized"]).eur, 3),  # the DAG's cost guard
    }


def _input_list_bytes(s3, input_list_uri: str) -> int:
    """Bytes of the images a run's input list names."""
    bucket, _, key = input_list_uri.removeprefix("s3://").partition("/")
    uris = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().split("\n")
    return sum(s3.head_object(Bucket=bucket, Key=uri.removeprefix(f"s3://{bucket}/"))["ContentLength"]
               for uri in uris if uri)


def run(per_class: int, new: int, workdir: Path) -> dict:
    with running_emulator(workdir / "emr", log=lambda line: None) as emulator:
        s3, emr = emulator.client("s3"), emulator.client("emr")
        ensure_bucket(s3, BUCKET)
        first = upload_samples(s3, BUCKET, INPUT_PREFIX, per_class, bad_files=False, say=print)
        env = airflow_environment(emulator, workdir / "airflow", BUCKET, default_weights())
        nights = []
        for night in (1, 2):
            if night == 2:
                classes = len(first.images_by_class)
                upload_samples(s3, BUCKET, INPUT_PREFIX, per_class + 1, max_classes=min(new, classes),
                               bad_files=False, say=print)
            print(f"night {night}: running the DAG ...", flush=True)
            result = run_dag_test(env, workdir / f"night{night}.log")
            if not result.succeeded:
                raise SystemExit(f"night {night} failed: see {result.log_path}")
            nights.append(measure_night(s3, emr, result.seconds))
            print(json.dumps(nights[-1], indent=2), flush=True)
    first_night, second_night = nights
    return {
        "nights": nights,
        "ratios_second_to_first": {
            key: round(second_night[key] / first_night[key], 3)
            for key in ("featurize_read_bytes", "pca_read_bytes", "cluster_lifetime_s", "estimated_eur")
            if first_night.get(key) and second_night.get(key) is not None
        },
        "note": "one run of benchmarks.nightly on the local emulator; steps ran on this machine's cores",
    }


def write(nightly: dict) -> None:
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results["nightly"] = nightly
    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
    rows = ["| | night 1 | night 2 |", "|---|---|---|"]
    for key in nightly["nights"][0]:
        rows.append(f"| {key} | {nightly['nights'][0][key]} | {nightly['nights'][1][key]} |")
    ratios = ", ".join(f"{k} {v}x" for k, v in nightly["ratios_second_to_first"].items())
    section = (f"{SECTION}\n`python -m benchmarks.nightly` ({nightly['note']}).\n\n" + "\n".join(rows)
               + f"\n\nSecond night against the first: {ratios}.\n")
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else ""
    text = text.split(SECTION)[0].rstrip("\n") + "\n\n" + section
    RESULTS_MD.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nightly", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-class", type=int, default=5, help="images per class on night 1")
    parser.add_argument("--new", type=int, default=10, help="new images on night 2 (one per class)")
    args = parser.parse_args(argv)
    workdir = LOCAL_DIR / "nightly"  # kept: the Airflow logs of both nights
    shutil.rmtree(workdir, ignore_errors=True)
    nightly = run(args.per_class, args.new, workdir)
    write(nightly)
    print(f"written to {RESULTS_JSON} and {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
