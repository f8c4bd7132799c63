"""The Python tasks of the ``fruits_features`` DAG: thin wrappers that call the library with a run's config.

Each task reads the config dict that ``check_config`` returned from its XCom (``_run_config``) and imports
what it needs inside its body, so parsing the DAG file stays light and offline. The config is pulled, not
passed as an argument: every task needs it, and an argument would draw an edge from check_config to each
of them in the graph view (check_config is upstream of all of them through the main chain anyway).
The EMR operators and sensors are wired in the DAG file itself; see ``dags/fruits_features.py``.
"""
from __future__ import annotations

import logging

from airflow.sdk import Asset, get_current_context, task

from fruits_emr.config import AWS_CONN_ID, EnvDefaults, RunConfig

log = logging.getLogger(__name__)

LATEST_FEATURES = Asset(name="fruits_features_latest")


def _s3_hook(cfg: dict):
    """The run's S3Hook: every object it writes is server-side encrypted (fruits_emr.encryption)."""
    from fruits_emr.encryption import encrypted_s3_hook

    return encrypted_s3_hook(AWS_CONN_ID, cfg["security"]["kms_key"])


def _result_of(task_id: str) -> dict:
    """What an upstream task of this run returned (its XCom)."""
    return get_current_context()["ti"].xcom_pull(task_ids=task_id)


def _run_config() -> dict:
    """The configuration ``check_config`` validated for this run."""
    return _result_of("check_config")


def _run_layout(cfg: dict):
    return RunConfig.from_dict(cfg).layout(get_current_context()["run_id"])


def _link_run_folder(cfg: dict, layout) -> None:
    from fruits_emr.links import RunFolderLink, run_folder_url

    url = run_folder_url(layout, cfg["region"], EnvDefaults.from_env().s3_browser_url)
    RunFolderLink.persist(get_current_context(), url)
    log.info("Reports and plots of this run: %s (also the task's 'Run reports and plots' link)", url)


@task(doc_md="Validate Params + deployment settings (EU region, bucket, budget) before any AWS call.")
def check_config(params: dict | None = None) -> dict:
    from fruits_emr.config import connection_region, load_config
    from fruits_emr.log_tables import table

    cfg = load_config(params or {}, connection_region(AWS_CONN_ID), EnvDefaults.from_env())
    log.info("%s", table("Run configuration", cfg.to_dict().items()))
    return cfg.to_dict()


@task(doc_md="Check every bucket's region (EU residency), then compare the input prefix with the "
             "published snapshot: new, changed, deleted; write the plan.")
def plan_inputs() -> dict:
    from fruits_emr import incremental
    from fruits_emr.log_tables import plan_table, table
    from fruits_emr.residency import check_residency

    cfg = _run_config()
    run_cfg, s3_hook = RunConfig.from_dict(cfg), _s3_hook(cfg)
    # before any other AWS call of the run: nothing is listed or written in a bucket outside the EU
    regions = check_residency(s3_hook, run_cfg)
    log.info("%s", table("Bucket regions (GetBucketLocation)", regions.items()))
    plan = incremental.plan_inputs(
        s3_hook, _run_layout(cfg), run_cfg.input_uri, max_images=run_cfg.max_images, k=run_cfg.k,
        full_reprocess=run_cfg.full_reprocess, max_image_bytes=run_cfg.max_image_bytes,
    )
    log.info("%s", plan_table(plan))
    return plan


@task(multiple_outputs=True, doc_md="Cost guard: estimate the run's EUR cost; refuse it over budget.")
def estimate_cost(plan: dict) -> dict:
    from fruits_emr.budget import check_budget, step_timeout_s
    from fruits_emr.log_tables import cost_table

    cfg = _run_config()
    estimate = check_budget(RunConfig.from_dict(cfg), plan["selected"])
    log.info("%s", cost_table(estimate, cfg["budget_eur"]))
    summary = estimate.as_log_dict()
    return {
        "estimate": summary,
        "step_timeout_s": step_timeout_s(estimate),
        "compute_s": summary["compute_s"],
    }


@task.short_circuit(ignore_downstream_trigger_rules=False,
                    doc_md="Stop cleanly (no cluster) on a dry run or when the snapshot would not change.")
def should_start_cluster(cfg: dict, plan: dict, estimate: dict) -> bool:
    if not plan["changes"]:
        log.info("Nothing changed since the published snapshot (%d objects): stopping", plan["total_found"])
        return False
    if cfg["dry_run"]:
        log.info(
            "DRY RUN: would process %d images (%d deferred) for about %.2f EUR; no cluster started",
            plan["selected"], plan["deferred"], estimate["estimated_eur"],
        )
        return False
    return True


@task(doc_md="Upload bootstrap, Spark jobs, their library zip and weights, keyed by content hash.")
def upload_artifacts() -> dict:
    from fruits_emr.artifacts import upload_artifacts as upload

    cfg = _run_config()
    artifacts = upload(_s3_hook(cfg), _run_layout(cfg), cfg["weights"])
    log.info("Artifacts (uploaded now: %s): %s", artifacts.uploaded or "none", artifacts)
    return artifacts.to_dict()


@task(multiple_outputs=True, doc_md="Create the EMR security configuration if missing (encryption, IMDSv2); "
                                   "build the RunJobFlow request and the two Spark steps for this run.")
def build_job_flow(artifacts: dict) -> dict:
    from airflow.providers.amazon.aws.hooks.emr import EmrHook

    from fruits_emr.artifacts import Artifacts
    from fruits_emr.job_flow import build_job_flow as job_flow
    from fruits_emr.security_configuration import ensure_security_configuration
    from fruits_emr.spark_sizing import size_executors
    from fruits_emr.steps import build_steps

    cfg = _run_config()
    context = get_current_context()
    run_cfg, layout, arts = RunConfig.from_dict(cfg), _run_layout(cfg), Artifacts.from_dict(artifacts)
    sizing = size_executors(run_cfg.core_instance_type, run_cfg.core_instance_count)
    emr_client = EmrHook(aws_conn_id=AWS_CONN_ID, emr_conn_id=None).conn
    security = ensure_security_configuration(emr_client, run_cfg.deployment_id, run_cfg.security)
    return {
        "job_flow": job_flow(run_cfg, layout, arts, sizing, context["dag"].dag_id, context["run_id"],
                             security),
        "steps": build_steps(run_cfg, layout, arts, sizing),
    }


@task(doc_md="Check the outputs (counts, k dims, finite values, explained variance); write the report.")
def validate() -> dict:
    from fruits_emr.validation import validate_run

    cfg = _run_config()
    run_cfg, layout = RunConfig.from_dict(cfg), _run_layout(cfg)
    _link_run_folder(cfg, layout)
    plan = _result_of("plan_inputs")  # pulled like the config: no plan -> validate edge across the graph
    return validate_run(_s3_hook(cfg), layout, plan["selected"], run_cfg.k, run_cfg.min_explained_variance)


@task(
    outlets=[LATEST_FEATURES],
    doc_md="Commit the validated snapshot: one conditional write of latest.json (skipped: `publish` off).",
)
def publish() -> dict:
    from airflow.sdk.exceptions import AirflowSkipException

    from fruits_emr.publish import publish_run

    cfg = _run_config()
    context = get_current_context()
    layout = _run_layout(cfg)
    _link_run_folder(cfg, layout)
    if not cfg["publish"]:
        log.info("publish is off for this run: latest.json is unchanged; the run's outputs stay in %s",
                 layout.run_uri)
        # Skipped, not succeeded: a skipped task emits no event for the latest-features asset.
        raise AirflowSkipException("publish is off for this run")
    published = publish_run(_s3_hook(cfg), layout, context["run_id"])
    context["outlet_events"][LATEST_FEATURES].extra = {"latest_uri": layout.latest_uri,
                                                       "run_uri": layout.run_uri}
    return published


@task(
    trigger_rule="none_failed",
    doc_md="Retention: delete superseded runs and EMR logs older than the retention period (not on dry runs)",
)
def cleanup() -> dict | None:
    from fruits_emr.retention import apply_retention

    cfg = _run_config()
    if cfg["dry_run"]:
        log.info("DRY RUN: nothing deleted")
        return None
    return apply_retention(_s3_hook(cfg), _run_layout(cfg), RunConfig.from_dict(cfg).retention_days)
