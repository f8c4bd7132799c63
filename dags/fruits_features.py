"""
### fruits_features: fruit photos -> MobileNetV2 features -> PCA, on a short-lived EMR cluster

This is the pipeline's one step-by-step description (the README and docs/ARCHITECTURE.md link here).
Each run publishes a **snapshot** of the whole image collection: every object under the input prefix
once, featurized (1280-d features + k-d PCA vector, all in one PCA basis) or quarantined with a reason.

1. **check_config**: the Params and deployment settings (EU region only, bucket, prefixes, budget,
   instance types, job bundle), before any AWS call.
2. **plan_inputs**: first asks S3 where every bucket of the run is (GetBucketLocation: the run's
   bucket, an `s3://` weights URI, certificates, wheelhouse) and refuses any outside the connection's
   EU region; then lists the input prefix (key, ETag, size) and compares it with the published
   snapshot's catalogue: new and changed images (and earlier deferred ones) are this run's input list,
   capped at `max_images`; unchanged ones are reused as they are; deleted or replaced images leave the
   snapshot; keys Hadoop would mangle and files above the size limit are quarantined here. Refuses a
   snapshot that could not hold `k` images. `full_reprocess` plans as if nothing was published.
3. **estimate_cost**: the cost guard; refuses the run when the estimate is above `budget_eur`.
4. **should_start_cluster**: stops cleanly, without a cluster, on `dry_run` or when the snapshot would
   not change.
5. **upload_artifacts** (content-addressed, reused only when S3's SHA-256 checksum matches) and
   **build_job_flow** (creates the EMR security configuration if missing: encryption, IMDSv2), then
   **create_cluster** (adopts the run's cluster on a retry), **add_steps** (reuses steps already added),
   **wait_featurize**, **wait_pca**. The featurize step embeds the input list (weights broadcast once)
   and quarantines unusable files; the PCA step builds this run's feature partition (new rows + rows
   that partitions which lost images still hold), reuses earlier partitions' statistics, fits ONE exact
   PCA (numpy `eigh` of the combined covariance) and projects every image of the snapshot.
6. **validate**: the snapshot accounts for every listed object exactly once, dimensions, finite values,
   the explained variance against `min_explained_variance`, and the published vectors' variances
   recomputed against the report; writes the catalogue, `validation.json` and plots.
7. **publish**: ONE conditional write of `latest.json` (the `fruits_features_latest` asset) commits the
   snapshot; refused if another run published since this one was planned. Skipped when `publish` is off.
8. **cleanup**: retention deletes superseded runs and EMR logs older than `FRUITS_EMR_RETENTION_DAYS`.

**terminate_cluster** is a teardown: it runs whatever happened once the job flow is built, terminates
the run's clusters by id and by tag (deployment id + idempotency token), and a failed step still fails
the run. Outputs: `s3://$FRUITS_EMR_BUCKET/<output_prefix>/runs/<run key>/`. The deployment settings
(`FRUITS_EMR_*` environment variables, among them the schedule `FRUITS_EMR_SCHEDULE`) are listed in the
README; AWS access and region come from the `aws_default` connection.
"""
from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, CronTriggerTimetable, TaskGroup, chain

from fruits_emr.config import AWS_CONN_ID, EnvDefaults
from fruits_emr.links import RunFolderLink
from fruits_emr.operators import (
    AdoptingEmrCreateJobFlowOperator,
    IdempotentEmrAddStepsOperator,
    RunClustersTerminateOperator,
)
from fruits_emr.params import dag_params
from fruits_emr.sensors import DiagnosingEmrStepSensor
from fruits_emr.steps import FEATURIZE_STEP, PCA_STEP
from fruits_emr.tasks import (
    build_job_flow,
    check_config,
    cleanup,
    estimate_cost,
    plan_inputs,
    publish,
    should_start_cluster,
    upload_artifacts,
    validate,
)

DEPLOYMENT = EnvDefaults.from_env()
# Every task is idempotent (content-hashed uploads, cluster adoption by tag, step reuse, run-scoped
# outputs), so each retries transient errors with back-off; permanent failures (fruits_emr.failures)
# are never retried.
RETRIES = {
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}

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
    dagrun_timeout=timedelta(hours=20),  # before the next nightly run; the idle timeout ends the cluster
    max_consecutive_failed_dag_runs=3,  # a broken nightly is paused instead of starting paid clusters
    params=dag_params(),
    tags=["emr", "spark", "features", "fruits"],
    default_args={"owner": "fruits-emr", **RETRIES},
) as dag:
    # Three groups read like the README's diagram; the tasks pull the run's config (and validate the plan)
    # from XCom instead of taking them as arguments, so the graph shows the order, not a fan of XComs.
    with TaskGroup("plan", prefix_group_id=False, tooltip="Config, input plan, cost guard, go/no-go"):
        cfg = check_config()
        plan = plan_inputs()
        estimate = estimate_cost(plan)
        go = should_start_cluster(cfg, plan, estimate["estimate"])
    with TaskGroup("cluster", prefix_group_id=False, tooltip="Upload, EMR cluster, the two Spark steps"):
        artifacts = upload_artifacts()
        spec = build_job_flow(artifacts)
        create_cluster = AdoptingEmrCreateJobFlowOperator(
            task_id="create_cluster",
            doc_md="Start the run's EMR cluster, or adopt the one an earlier try already started.",
            job_flow_overrides=spec["job_flow"],
            aws_conn_id=AWS_CONN_ID,
            emr_conn_id=None,
        )
        add_steps = IdempotentEmrAddStepsOperator(
            task_id="add_steps",
            doc_md="Add the featurize and PCA steps; a retry reuses steps already on the cluster.",
            job_flow_id=create_cluster.output,
            steps=spec["steps"],
            aws_conn_id=AWS_CONN_ID,
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
        terminate_cluster = RunClustersTerminateOperator(
            task_id="terminate_cluster",
            doc_md="Teardown: terminate the run's clusters (id from XCom and by tag) whatever happened.",
            job_flow_id=create_cluster.output,
            job_flow_overrides=spec["job_flow"],
            aws_conn_id=AWS_CONN_ID,
        )
    with TaskGroup("results", prefix_group_id=False, tooltip="Validate, publish, retention"):
        validated, published, cleaned = validate(), publish(), cleanup()
        for results_task in (validated.operator, published.operator):
            results_task.operator_extra_links = (RunFolderLink(),)

    chain(
        cfg, plan, estimate, go, artifacts, spec, create_cluster, add_steps,
        wait_featurize, wait_pca, validated, published, cleaned,
    )
    # build_job_flow is a setup too, so the teardown also runs when create_cluster failed after EMR
    # had started a cluster whose id never reached XCom.
    wait_pca >> terminate_cluster.as_teardown(setups=[spec, create_cluster])
