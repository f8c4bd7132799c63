"""The cost guard: the estimate comes from fruits_emr.cost; over budget, the run is refused."""
from __future__ import annotations

import pytest

from fruits_emr.budget import (
    MIN_STEP_TIMEOUT_S,
    STEP_TIMEOUT_FACTOR,
    BudgetExceeded,
    check_budget,
    step_timeout_s,
)
from fruits_emr.config import EnvDefaults, load_config
from fruits_emr.cost import IMAGES_PER_VCPU_S_BY_BACKEND, estimate_run_cost
from fruits_emr.params import dag_params


def config(**overrides):
    params = {**{n: p.value for n, p in dag_params().items()}, **overrides}
    return load_config(params, "eu-west-3", EnvDefaults.from_env({"FRUITS_EMR_BUCKET": "b-1"}))


def test_estimate_within_budget_is_returned():
    cfg = config()
    estimate = check_budget(cfg, 1000)
    assert cfg.backend == "tflite"
    assert estimate == estimate_run_cost(1000, cfg.cluster_shape, IMAGES_PER_VCPU_S_BY_BACKEND["tflite"])
    assert 0 < estimate.eur <= cfg.budget_eur


def test_over_budget_is_refused_with_the_numbers():
    cfg = config(budget_eur=0.1)
    expected = estimate_run_cost(1000, cfg.cluster_shape, IMAGES_PER_VCPU_S_BY_BACKEND[cfg.backend]).eur
    assert expected > 0.1
    with pytest.raises(BudgetExceeded,
                       match=rf"estimated cost {expected:.2f} EUR for 1000 images .* 0.10 EUR"):
        check_budget(cfg, 1000)


def test_spot_and_more_nodes_change_the_estimate():
    images = 200_000
    on_demand = check_budget(config(use_spot=False, budget_eur=1000), images).eur
    spot = check_budget(config(use_spot=True, budget_eur=1000), images).eur
    assert spot < on_demand


def test_the_slower_backend_costs_more_and_is_guarded_at_its_own_throughput():
    images = 500_000
    fast = check_budget(config(backend="tflite", budget_eur=1000), images)
    slow = check_budget(config(backend="keras", budget_eur=1000), images)
    assert slow.images_per_vcpu_s == IMAGES_PER_VCPU_S_BY_BACKEND["keras"] < fast.images_per_vcpu_s
    assert slow.eur > fast.eur


def test_the_cost_table_knows_exactly_the_jobs_backends_with_the_same_default():
    from fruits_emr.cost import DEFAULT_BACKEND as COSTED_DEFAULT
    from fruits_spark.backends import BACKENDS, DEFAULT_BACKEND

    assert set(IMAGES_PER_VCPU_S_BY_BACKEND) == set(BACKENDS)
    assert COSTED_DEFAULT == DEFAULT_BACKEND


def test_step_timeout_grows_with_the_work_and_has_a_floor():
    cfg = config(budget_eur=1000)
    small, large = check_budget(cfg, 10), check_budget(cfg, 2_000_000)
    assert step_timeout_s(small) >= MIN_STEP_TIMEOUT_S
    assert step_timeout_s(large) == round(large.billed_hours * 3600 * STEP_TIMEOUT_FACTOR)
    assert step_timeout_s(large) > step_timeout_s(small)
