"""``python -m local_emr.demo`` (``make demo``): the real DAG, end to end, with no AWS account.

Starts the emulator, uploads sample images (real ones from ../shared when present, otherwise
synthetic ones, said so), runs ``fruits_features`` with ``airflow dags test`` on a throwaway SQLite
Airflow home, prints a summary and where the downloaded report and plots are, stops the emulator.
Everything is written under ``.local/demo/`` (replaced on each run).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from local_emr.airflow_env import airflow_environment, default_weights
from local_emr.dag_run import DagTestResult, run_dag_test
from local_emr.paths import LOCAL_DIR
from local_emr.run_report import RunReport, collect_run
from local_emr.sample_data import SampleUpload, upload_samples
from local_emr.server import ensure_bucket, running_emulator

BUCKET = "fruits-demo"
INPUT_PREFIX = "fruits/images"  # the DAG's default Params
OUTPUT_PREFIX = "fruits/features"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_emr.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-class", type=int, default=5, help="images per class (default 5)")
    parser.add_argument("--max-classes", type=int, default=None, help="default: all classes")
    parser.add_argument("--workdir", type=Path, default=LOCAL_DIR / "demo")
    args = parser.parse_args(argv)

    workdir = args.workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    emulator_log = _line_logger(workdir / "emulator.log")
    with running_emulator(workdir / "emr", log=emulator_log) as emulator:
        print(f"local EMR emulator on {emulator.endpoint_url} (region {emulator.region}); "
              f"its log: {workdir / 'emulator.log'}")
        s3 = emulator.client("s3")
        ensure_bucket(s3, BUCKET)
        upload = upload_samples(s3, BUCKET, INPUT_PREFIX, args.per_class, args.max_classes)
        env = airflow_environment(emulator, workdir / "airflow", BUCKET, default_weights())
        print(f"running the DAG with 'airflow dags test' (log: {workdir / 'airflow.log'}) ...",
              flush=True)
        result = run_dag_test(env, workdir / "airflow.log")
        report = collect_run(s3, emulator.client("emr"), BUCKET, OUTPUT_PREFIX, workdir / "results")
    print(summary(upload, result, report, workdir / "results"))
    return 0 if result.succeeded else 1


def _line_logger(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a", buffering=1)

    def log(line: str) -> None:
        handle.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    return log


def summary(upload: SampleUpload, result: DagTestResult, report: RunReport, results_dir: Path) -> str:
    """The demo's closing summary, from what the run left in S3 and EMR."""
    featurize = report.reports.get("featurize_report.json", {})
    pca = report.reports.get("pca_report.json", {})
    validation = report.reports.get("validation.json", {})
    cumulative = pca.get("cumulative_explained_variance") or [None]
    reasons = {r: n for r, n in (featurize.get("quarantine_by_reason") or {}).items() if n}
    lines = [
        "",
        "=" * 72,
        f"fruits_features demo: DAG run {'SUCCEEDED' if result.succeeded else 'FAILED'}"
        f" in {result.seconds:.0f} s",
        "=" * 72,
        f"input            {upload.images} {upload.source}, {len(upload.images_by_class)} classes,"
        f" + {len(upload.bad_files)} deliberately bad files",
        f"images           found {featurize.get('images_found')}, featurized"
        f" {featurize.get('featurized')}, quarantined {featurize.get('quarantined')} {reasons or ''}",
        f"weights          {featurize.get('weights_source')} "
        f"(sha256 {str(featurize.get('weights_sha256'))[:12]}...)",
        f"PCA              k={pca.get('k')} of {pca.get('input_dim')}: explained variance"
        f" {_fraction(cumulative[-1])}",
        f"storage          features {pca.get('features_bytes')} B -> pca {pca.get('pca_bytes')} B"
        f" (ratio {pca.get('storage_ratio')})",
        f"validation       {_verdict(validation)}",
        f"cluster          {report.cluster.get('id')} {report.cluster.get('state')}"
        f" ({report.cluster.get('reason', {}).get('Message', '')})",
        f"security         {report.cluster.get('security', 'n/a')}",
        "steps            " + ", ".join(f"{s['name']} {s['state']}" for s in report.steps),
        *(f"  {s['name']} failed: {s['failure'].get('Reason')} (log: {s['failure'].get('LogFile')})"
          for s in report.steps if s["failure"]),
        "published        "
        + str(report.latest["run_uri"] if report.latest else "nothing (latest.json not written)"),
        f"run outputs      {report.run_uri}",
        f"local copies     {results_dir}/ ({', '.join(sorted(report.files)) or 'none'})",
        f"Airflow log      {result.log_path}",
    ]
    return "\n".join(lines)


def _fraction(value: float | None) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) else "n/a"


def _verdict(validation: dict) -> str:
    if not validation:
        return "not run"
    if validation.get("passed"):
        return f"passed ({len(validation.get('checks', []))} checks)"
    return f"FAILED: {', '.join(validation.get('failed_checks', []))}"


if __name__ == "__main__":
    sys.exit(main())
