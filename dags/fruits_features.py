"""
### fruits_features: fruit photos -> MobileNetV2 features -> PCA, on a short-lived EMR cluster

Nightly, and on demand from the trigger form. Each run:

1. **check_config**: validates the Params and the deployment settings (EU region only, bucket,
   prefixes, budget) before any AWS call;
2. **plan_inputs**: lists the photos not yet processed (a manifest of processed keys; `full_reprocess`
   ignores it), caps them at `max_images` and writes the run's input list;
3. **estimate_cost**: the cost guard; refuses the run when the estimate is above `budget_eur`;
4. **should_start_cluster**: stops the run cleanly on `dry_run` or when there is nothing new;
5. **upload_artifacts** (content-addressed) and **build_job_flow**, then **create_cluster**,
   **add_steps**, **wait_featurize**, **wait_pca** on EMR;
6. **validate** the outputs (counts, dimensions, explained variance; report + plots) and **publish**
   the run as `latest.json` (the `fruits_features_latest` asset) only when valid.

**terminate_cluster** is a teardown: it runs whatever happened once the cluster exists, and a failed
step still fails the run. Outputs: `s3://$FRUITS_EMR_BUCKET/<output_prefix>/runs/<run key>/`.
Deployment settings: `FRUITS_EMR_BUCKET`, `FRUITS_EMR_WEIGHTS`, `FRUITS_EMR_POKE_INTERVAL`; AWS access
and region come from the `aws_default` connection.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import pendulum
from airflow.providers.amazon.aws.operators.emr import EmrTerminateJobFlowOperator
from airflow.sdk import DAG, Asset, chain, get_current_context, task

from fruits_emr.config import AWS_CONN_ID, EnvDefaults, RunConfig
from fruits_emr.operators import AdoptingEmrCreateJobFlowOperator, IdempotentEmrAddStepsOperator
from fruits_emr.params import dag_params
from fruits_emr.sensors import DiagnosingEmrStepSensor
from fruits_emr.steps import FEATURIZE_STEP, PCA_STEP

log = logging.getLogger(__name__)

LATEST_FEATURES = Asset(name="fruits_features_latest")
POKE_INTERVAL_S = EnvDefaults.from_env().poke_interval_s
RETRY_SAFELY = {"retries": 2, "retry_delay": timedelta(seconds=30)}


def _s3_hook():
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=AWS_CONN_ID)


def _run_layout(cfg: dict):
    return RunConfig.from_dict(cfg).layout(get_current_context()["run_id"])


@task(doc_md="Validate Params + deployment settings (EU region, bucket, budget) before any AWS call.")
def check_config(params: dict | None = None) -> dict:
    from fruits_emr.config import connection_region, load_config

    cfg = load_config(params or {}, connection_region(AWS_CONN_ID), EnvDefaults.from_env())
    log.info("Run configuration: %s", cfg)
    return cfg.to_dict()


@task(doc_md="List new images (manifest-based), cap at max_images, write the run's input list.")
def plan_inputs(cfg: dict) -> dict:
    from fruits_emr import incremental

    run_cfg = RunConfig.from_dict(cfg)
    plan = incremental.plan_inputs(
        _s3_hook(), _run_layout(cfg), run_cfg.input_uri, run_cfg.max_images, run_cfg.full_reprocess
    )
    log.info("Input plan: %s", plan)
    return plan


@task(multiple_outputs=True, doc_md="Cost guard: estimate the run's EUR cost; refuse it over budget.")
def estimate_cost(cfg: dict, plan: dict) -> dict:
    from fruits_emr.budget import check_budget, step_timeout_s

    estimate = check_budget(RunConfig.from_dict(cfg), plan["selected"])
    log.info("Cost estimate (within budget %.2f EUR): %s", cfg["budget_eur"], estimate.as_log_dict())
    return {"estimate": estimate.as_log_dict(), "step_timeout_s": step_timeout_s(estimate)}


@task.short_circuit(doc_md="Stop cleanly (no cluster) on a dry run or when there is no new image.")
def should_start_cluster(cfg: dict, plan: dict, estimate: dict) -> bool:
    if plan["selected"] == 0:
        log.info("Nothing new to process (%d found, all already processed): stopping", plan["total_found"])
        return False
    if cfg["dry_run"]:
        log.info(
            "DRY RUN: would process %d images (%d deferred) for about %.2f EUR; no cluster started",
            plan["selected"], plan["deferred"], estimate["estimated_eur"],
        )
        return False
    return True


@task(doc_md="Upload bootstrap, Spark jobs, their library zip and weights, keyed by content hash.")
def upload_artifacts(cfg: dict) -> dict:
    from fruits_emr.artifacts import upload_artifacts as upload

    artifacts = upload(_s3_hook(), _run_layout(cfg), cfg["weights"])
    log.info("Artifacts (uploaded now: %s): %s", artifacts.uploaded or "none", artifacts)
    return artifacts.to_dict()


@task(multiple_outputs=True, doc_md="Build the RunJobFlow request and the two Spark steps for this run.")
def build_job_flow(cfg: dict, artifacts: dict) -> dict:
    from fruits_emr.artifacts import Artifacts
    from fruits_emr.job_flow import build_job_flow as job_flow
    from fruits_emr.spark_sizing import size_executors
    from fruits_emr.steps import build_steps

    context = get_current_context()
    run_cfg, layout, arts = RunConfig.from_dict(cfg), _run_layout(cfg), Artifacts.from_dict(artifacts)
    sizing = size_executors(run_cfg.core_instance_type, run_cfg.core_instance_count)
    return {
        "job_flow": job_flow(run_cfg, layout, arts, sizing, context["dag"].dag_id, context["run_id"]),
        "steps": build_steps(run_cfg, layout, arts, sizing),
    }


@task(doc_md="Check the outputs (counts, k dims, finite values, explained variance); write the report.")
def validate(cfg: dict, plan: dict) -> dict:
    from fruits_emr.validation import validate_run

    run_cfg = RunConfig.from_dict(cfg)
    return validate_run(
        _s3_hook(), _run_layout(cfg), plan["selected"], run_cfg.k, run_cfg.min_explained_variance
    )


@task(outlets=[LATEST_FEATURES], doc_md="Point latest.json at this validated run; record processed keys.")
def publish(cfg: dict) -> dict:
    from fruits_emr.publish import publish_run

    context = get_current_context()
    layout = _run_layout(cfg)
    published = publish_run(_s3_hook(), layout, context["run_id"])
    context["outlet_events"][LATEST_FEATURES].extra = {"latest_uri": layout.latest_uri, "run_uri": layout.run_uri}
    return published


with DAG(
    dag_id="fruits_features",
    doc_md=__doc__,
    schedule="30 1 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params=dag_params(),
    tags=["emr", "spark", "features", "fruits"],
    default_args={"owner": "fruits-emr", "retries": 0},
) as dag:
    cfg = check_config()
    plan = plan_inputs(cfg)
    estimate = estimate_cost(cfg, plan)
    go = should_start_cluster(cfg, plan, estimate["estimate"])
    artifacts = upload_artifacts(cfg)
    spec = build_job_flow(cfg, artifacts)
    create_cluster = AdoptingEmrCreateJobFlowOperator(
        task_id="create_cluster",
        doc_md="Start the run's EMR cluster, or adopt the one an earlier try already started.",
        job_flow_overrides=spec["job_flow"],
        aws_conn_id=AWS_CONN_ID,
        emr_conn_id=None,
        **RETRY_SAFELY,
    )
    add_steps = IdempotentEmrAddStepsOperator(
        task_id="add_steps",
        doc_md="Add the featurize and PCA steps; a retry reuses steps already on the cluster.",
        job_flow_id=create_cluster.output,
        steps=spec["steps"],
        aws_conn_id=AWS_CONN_ID,
        **RETRY_SAFELY,
    )
    wait_featurize, wait_pca = (
        DiagnosingEmrStepSensor(
            task_id=f"wait_{step}",
            doc_md=f"Wait for the {step} step; on failure log its reason and stderr tail.",
            job_flow_id=create_cluster.output,
            step_id=add_steps.output[step],
            timeout_s=estimate["step_timeout_s"],
            mode="reschedule",
            poke_interval=POKE_INTERVAL_S,
            aws_conn_id=AWS_CONN_ID,
        )
        for step in (FEATURIZE_STEP, PCA_STEP)
    )
    terminate_cluster = EmrTerminateJobFlowOperator(
        task_id="terminate_cluster",
        doc_md="Teardown: terminate the cluster whatever happened to the steps.",
        job_flow_id=create_cluster.output,
        aws_conn_id=AWS_CONN_ID,
    )

    chain(
        cfg, plan, estimate, go, artifacts, spec, create_cluster, add_steps,
        wait_featurize, wait_pca, validate(cfg, plan), publish(cfg),
    )
    wait_pca >> terminate_cluster.as_teardown(setups=create_cluster)
