"""The log tables people read in the Airflow UI, built from the real objects the tasks log."""
from __future__ import annotations

import pytest

from fruits_emr.cost import ClusterShape, estimate_run_cost
from fruits_emr.incremental import InputObject, plan_snapshot
from fruits_emr.log_tables import cost_table, duration, plan_table, step_progress, validation_table


def test_cost_table_of_a_real_estimate_names_cluster_time_and_price():
    estimate = estimate_run_cost(200, ClusterShape(core_count=2))
    text = cost_table(estimate, budget_eur=10.0)

    assert text.splitlines()[0] == f"Cost estimate: {estimate.eur:.2f} EUR (budget 10.00 EUR)"
    assert f"{ClusterShape(core_count=2).executor_vcpus} executor vCPUs" in text
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


MAX_LINE = 110  # what the Airflow log view shows without cutting at a 1400 px wide window


@pytest.mark.parametrize("seconds, shown", [
    (0.0375, "under 0.1 s"), (0.1125, "0.1 s"), (42, "42 s"), (90, "1.5 min"), (960, "16 min"),
    (7500, "2 h 05 min"),
])
def test_durations_keep_small_values_visible(seconds, shown):
    assert duration(seconds) == shown


def test_cost_table_of_a_small_run_shows_its_compute_time_and_cost():
    estimate = estimate_run_cost(18, ClusterShape(), images_per_vcpu_s=20.0)
    text = cost_table(estimate, budget_eur=10)
    assert text.splitlines()[0] == f"Cost estimate: {estimate.eur:.2f} EUR (budget 10.00 EUR)"
    assert "compute time   0.1 s at 20 images/s per vCPU" in text
    assert "billed time    16 min" in text
    assert max(len(line) for line in text.splitlines()) <= MAX_LINE
    assert estimate.as_log_dict()["compute_s"] == 0.113  # not 0.0 hours


def test_an_empty_plan_still_has_a_cost_table():
    text = cost_table(estimate_run_cost(0, ClusterShape()), budget_eur=10)
    assert "images         0" in text and "billed time    15 min" in text


def test_step_progress_compares_elapsed_with_the_estimate():
    assert step_progress("featurize", "RUNNING", 95, 30) == \
        "featurize step RUNNING for 1.6 min (estimate: 30 s of compute after Spark's start-up)"
    assert step_progress("pca", "PENDING", None, None) == "pca step PENDING"


def test_validation_table_summarizes_the_report():
    report = {
        "run_key": "manual-1", "passed": False, "failed_checks": ["cumulative_explained_variance"],
        "checks": [{"name": "pca_rows", "passed": True, "observed": 6, "expected": 6},
                   {"name": "cumulative_explained_variance", "passed": False, "observed": 0.5,
                    "expected": ">= 0.8"}],
        "counts": {"images": 8, "featurized": 6, "quarantined": 2,
                   "quarantine_by_reason": {"not_an_image": 2, "too_small": 0}},
        "k": 2, "cumulative_explained_variance": 0.5,
        "storage": {"features_bytes": 40000, "pca_bytes": 2000, "storage_ratio": 20.0},
        "plots": {"explained_variance.png": "s3://b/p/explained_variance.png"},
    }
    lines = validation_table(report).splitlines()
    assert lines[0] == "Validation of run manual-1: FAILED (cumulative_explained_variance)"
    text = "\n".join(lines)
    assert "images              8 planned, 6 featurized, 2 quarantined" in text
    assert "quarantine reasons  {'not_an_image': 2}" in text
    assert "explained variance  50.0% with k=2" in text
    assert "(20.0x smaller)" in text and "checks              1 of 2 passed" in text
    assert "  FAILED              cumulative_explained_variance: observed 0.5, expected '>= 0.8'" in text
    assert "pca_rows" not in text  # passed checks are counted, not listed
