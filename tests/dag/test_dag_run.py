"""Real ``dag.test()`` runs against moto: a dry run plans and prices without a cluster; a non-EU region
stops the run at the first task and an over-budget run at the cost guard; a failed step fails the run
while the teardown still terminates the cluster."""
from __future__ import annotations

import io
import threading
import time

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import emr_backends
from PIL import Image

from fruits_emr.layout import run_key
from fruits_emr.params import dag_params
from fruits_emr.sensors import DiagnosingEmrStepSensor
from tests.dag.dag_test_env import BUCKET, REGION, aws_connection

IMAGES = ["apple/1.jpg", "apple/2.jpg", "banana/1.jpg", "banana/2.png"]


def tiny_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def photos(s3_hook):
    for name in IMAGES:
        s3_hook.load_bytes(tiny_image("PNG" if name.endswith(".png") else "JPEG"),
                           f"fruits/images/{name}", bucket_name=BUCKET)
    return [f"s3://{BUCKET}/fruits/images/{name}" for name in IMAGES]


def run(dag, **conf):
    """One ``dag.test()`` with every Param given: a run's conf must not leak into the next run."""
    started = time.perf_counter()
    dag_run = dag.test(run_conf={**{name: p.value for name, p in dag_params().items()}, **conf})
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    return dag_run, states, time.perf_counter() - started


def test_dry_run_plans_and_prices_without_a_cluster(dag, airflow_db, photos, s3_hook, emr_client, caplog):
    dag_run, states, seconds = run(dag, dry_run=True, k=2)
    print(f"airflow db init {airflow_db:.1f}s, dry-run dag.test {seconds:.1f}s")
    assert dag_run.state == "success"
    assert {t: states[t] for t in ("check_config", "plan_inputs", "estimate_cost", "should_start_cluster")} \
        == dict.fromkeys(("check_config", "plan_inputs", "estimate_cost", "should_start_cluster"), "success")
    after_gate = set(states) - {
        "check_config",
        "plan_inputs",
        "estimate_cost",
        "should_start_cluster",
        "cleanup",
    }
    assert {states[t] for t in after_gate} == {"skipped"}  # the teardown too: no cluster to end
    assert states["cleanup"] == "success" and "DRY RUN: nothing deleted" in caplog.text
    assert emr_client.list_clusters()["Clusters"] == []
    input_list = s3_hook.read_key(
        f"fruits/features/runs/{run_key(dag_run.run_id)}/input_list.txt", bucket_name=BUCKET)
    assert sorted(input_list.split()) == sorted(photos)
    assert "DRY RUN: would process 4 images" in caplog.text and "Cost estimate: " in caplog.text


def test_non_eu_region_stops_the_run_before_any_aws_call(dag, airflow_db, monkeypatch, capfd):
    # the endpoint is a closed port: any AWS call would fail differently (and slowly)
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", aws_connection("http://127.0.0.1:9", "us-east-1"))
    monkeypatch.setenv("FRUITS_EMR_BUCKET", BUCKET)
    dag_run, states, _ = run(dag)
    assert dag_run.state == "failed"
    assert states["check_config"] == "failed"
    (check,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == "check_config"]
    assert dag.get_task("check_config").retries >= 1 and check.try_number == 1  # permanent: not retried
    assert "region 'us-east-1' is not an EU region" in capfd.readouterr().out
    assert {s for t, s in states.items() if t != "check_config"} <= {"upstream_failed", "skipped"}


def test_snapshot_smaller_than_k_is_refused_before_any_cluster(dag, airflow_db, photos, emr_client, capfd):
    dag_run, states, _ = run(dag, k=5)
    assert dag_run.state == "failed" and states["plan_inputs"] == "failed"
    assert "at most 4 images, fewer than k=5 PCA components: no cluster is started" in capfd.readouterr().out
    assert emr_client.list_clusters()["Clusters"] == []


def test_over_budget_run_is_refused_by_the_cost_guard(dag, airflow_db, photos, emr_client, capfd):
    dag_run, states, _ = run(dag, budget_eur=0.01, k=2)
    assert dag_run.state == "failed"
    assert states["plan_inputs"] == "success" and states["estimate_cost"] == "failed"
    assert "is above the budget of 0.01 EUR" in capfd.readouterr().out
    assert states["create_cluster"] == "upstream_failed"
    assert emr_client.list_clusters()["Clusters"] == []


def reschedules(dag_run, task_id: str) -> int:
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    (ti,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == task_id]
    with create_session() as session:
        return session.scalar(select(func.count()).where(TaskReschedule.ti_id == ti.id))


@pytest.fixture
def failing_featurize_step(monkeypatch):
    """Fails the first step of the run's moto cluster once a step sensor has poked it while RUNNING."""
    poked, stop = threading.Event(), threading.Event()
    real_poke = DiagnosingEmrStepSensor.poke

    def poke_and_tell(self, context):
        done = real_poke(self, context)
        poked.set()
        return done

    def fail_first_step():
        while not stop.wait(0.5):
            for cluster in list(emr_backends[DEFAULT_ACCOUNT_ID][REGION].clusters.values()):
                if poked.is_set() and cluster.steps and cluster.steps[0].state == "RUNNING":
                    cluster.steps[0].state = "FAILED"

    monkeypatch.setattr(DiagnosingEmrStepSensor, "poke", poke_and_tell)
    failer = threading.Thread(target=fail_first_step, daemon=True)
    failer.start()
    yield
    stop.set()
    failer.join()


def test_failed_step_fails_the_run_and_the_teardown_still_terminates(
    dag, airflow_db, photos, emr_client, failing_featurize_step, capfd
):
    dag_run, states, seconds = run(dag, k=2)
    print(f"failing-step dag.test {seconds:.1f}s")
    assert dag_run.state == "failed"
    assert {t: states[t] for t in ("create_cluster", "add_steps", "terminate_cluster")} == dict.fromkeys(
        ("create_cluster", "add_steps", "terminate_cluster"), "success")
    assert states["wait_featurize"] == "failed"
    assert {states[t] for t in ("wait_pca", "validate", "publish")} == {"upstream_failed"}
    (cluster,) = emr_client.list_clusters()["Clusters"]
    assert cluster["Status"]["State"] == "TERMINATED"
    assert cluster["Name"].endswith(run_key(dag_run.run_id))
    task_log = capfd.readouterr().out  # operators log through the task logger, to stdout here
    assert "Job flow currently RUNNING" in task_log
    assert reschedules(dag_run, "wait_featurize") >= 1  # reschedule mode works under dag.test()
    assert "Step featurize FAILED" in task_log
