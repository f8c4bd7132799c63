"""The EMR steps of a run: featurize then PCA, each a ``command-runner.jar`` ``spark-submit``.

Step names are fixed per run (the cluster belongs to one run), which is what lets a retried
add-steps task recognise steps it already added.
"""
from __future__ import annotations

from fruits_emr.artifacts import Artifacts
from fruits_emr.config import RunConfig
from fruits_emr.layout import RunLayout
from fruits_emr.spark_sizing import SparkSizing

FEATURIZE_STEP = "featurize"
PCA_STEP = "pca"
BATCH_SIZE = 64


def _spark_submit_step(name: str, artifacts: Artifacts, script_uri: str, job_args: list[str]) -> dict:
    return {
        "Name": name,
        "ActionOnFailure": "CANCEL_AND_WAIT",
        "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": ["spark-submit", "--py-files", artifacts.spark_lib, script_uri, *job_args],
        },
    }


def build_steps(cfg: RunConfig, layout: RunLayout, artifacts: Artifacts, sizing: SparkSizing) -> list[dict]:
    """The two steps, in order, with every path taken from the run layout."""
    featurize = _spark_submit_step(
        FEATURIZE_STEP,
        artifacts,
        artifacts.featurize,
        [
            "--input", cfg.input_uri,
            "--input-list", layout.input_list_uri,
            "--output", layout.features_uri,
            "--quarantine", layout.quarantine_uri,
            "--weights", artifacts.weights,
            "--report", layout.featurize_report_uri,
            "--batch-size", str(BATCH_SIZE),
            "--tf-threads", str(sizing.tf_threads),
            "--backend", cfg.backend,
        ],
    )
    pca = _spark_submit_step(
        PCA_STEP,
        artifacts,
        artifacts.pca,
        [
            "--snapshot-plan", layout.snapshot_plan_uri,
            "--output", layout.pca_uri,
            "--k", str(cfg.k),
            "--model-output", layout.pca_model_uri,
            "--report", layout.pca_report_uri,
        ],
    )
    return [featurize, pca]
