"""The log tables people read in the Airflow UI, built from the real objects the tasks log."""
from __future__ import annotations

from fruits_emr.cost import ClusterShape, estimate_run_cost
from fruits_emr.incremental import InputObject, plan_snapshot
from fruits_emr.log_tables import cost_table, duration, plan_table


def test_cost_table_of_a_real_estimate_names_cluster_time_and_price():
    estimate = estimate_run_cost(200, ClusterShape(core_count=2))
    text = cost_table(estimate, budget_eur=10.0)

    assert text.splitlines()[0] == f"Cost estimate: {estimate.eur:.2f} EUR (budget 10.00 EUR)"
    assert f"{ClusterShape(core_count=2).executor_vcpus} vCPUs in executors" in text
    compute_line = next(line for line in text.splitlines() if "compute time" in line)
    assert duration(estimate.compute_hours * 3600) in compute_line and "0.0 s" not in compute_line


def test_plan_table_of_a_real_plan_lists_every_count():
    plan = plan_snapshot([InputObject("s3://b/in/a/1.jpg", "e", 1)], {}, [], "run", "s3://b/in/", 10, 100)
    counts = {**plan.counts(), "changes": plan.changes, "full_reprocess": False, "based_on": None,
              "input_list_uri": "s3://b/out/runs/run/input_list.txt"}
    text = plan_table(counts)

    assert "(none published yet)" in text and "1 new or changed (this run)" in text
    assert next(line for line in text.splitlines() if "snapshot changes" in line).endswith("yes")


def test_durations_are_never_zero_for_short_runs():
    assert duration(0.4) == "0.4 s" and duration(90) == "1.5 min" and duration(7500) == "2 h 05 min"
