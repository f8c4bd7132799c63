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
and region come from the `aws_default` connection. The schedule is the deployment setting
`FRUITS_EMR_SCHEDULE` (default nightly at 01:30 UTC; `none`: only runs triggered by hand).
"""
from __future__ import annotations

from datetime import timedelta

from airflow.providers.amazon.aws.operators.emr import EmrTerminateJobFlowOperator
from airflow.sdk import DAG, CronTriggerTimetable, chain

from fruits_emr.config import AWS_CONN_ID, EnvDefaults
from fruits_emr.links import RunFolderLink
from fruits_emr.operators import AdoptingEmrCreateJobFlowOperator, IdempotentEmrAddStepsOperator
from fruits_emr.params import dag_params
from fruits_emr.sensors import DiagnosingEmrStepSensor
from fruits_emr.steps import FEATURIZE_STEP, PCA_STEP
from fruits_emr.tasks import (
    build_job_flow,
    check_config,
    estimate_cost,
    plan_inputs,
    publish,
    should_start_cluster,
    upload_artifacts,
    validate,
)

DEPLOYMENT = EnvDefaults.from_env()
RETRY_SAFELY = {"retries": 2, "retry_delay": timedelta(seconds=30)}

with DAG(
    dag_id="fruits_features",
    description="Fruit photos -> MobileNetV2 features -> PCA on a short-lived EMR cluster; "
    "validated, then published as latest.json.",
    doc_md=__doc__,
    # No start_date: with one, catchup=False still runs the latest passed 01:30 the moment the DAG is
    # first unpaused; without one, run_immediately=False makes the first run the next 01:30.
    schedule=CronTriggerTimetable(DEPLOYMENT.schedule, timezone="UTC", run_immediately=False)
    if DEPLOYMENT.schedule else None,
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
            expected_s=estimate["compute_s"] if step == FEATURIZE_STEP else None,
            mode="reschedule",
            poke_interval=DEPLOYMENT.poke_interval_s,
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

    validated, published = validate(cfg, plan), publish(cfg)
    for results_task in (validated.operator, published.operator):
        results_task.operator_extra_links = (RunFolderLink(),)

    chain(
        cfg, plan, estimate, go, artifacts, spec, create_cluster, add_steps,
        wait_featurize, wait_pca, validated, published,
    )
    wait_pca >> terminate_cluster.as_teardown(setups=create_cluster)
