"""The cost guard: estimate a run with ``fruits_emr.cost`` and refuse it when it is over budget.

It also sizes how long the step sensors may wait, from the same estimate, so a stuck step is noticed
in proportion to the work rather than after a fixed hour.
"""
from __future__ import annotations

from fruits_emr.config import RunConfig
from fruits_emr.cost import IMAGES_PER_VCPU_S_BY_BACKEND, CostEstimate, estimate_run_cost
from fruits_emr.failures import PermanentFailure

MIN_STEP_TIMEOUT_S = 30 * 60
STEP_TIMEOUT_FACTOR = 3.0  # a step may take this many times its estimate before it is declared stuck


class BudgetExceeded(PermanentFailure):
    """The run's estimated cost is above its budget; nothing has been created."""


def check_budget(cfg: RunConfig, images: int) -> CostEstimate:
    """The estimate for ``images`` on the configured cluster at the measured throughput of the run's
    backend; raises ``BudgetExceeded`` when too dear."""
    estimate = estimate_run_cost(images, cfg.cluster_shape, IMAGES_PER_VCPU_S_BY_BACKEND[cfg.backend])
    if estimate.eur > cfg.budget_eur:
        raise BudgetExceeded(
            f"estimated cost {estimate.eur:.2f} EUR for {images} images is above the budget of "
            f"{cfg.budget_eur:.2f} EUR; lower max_images or core_instance_count, or raise budget_eur"
        )
    return estimate


def step_timeout_s(estimate: CostEstimate) -> int:
    """How long a step sensor waits before failing: a multiple of the billed time, at least 30 min."""
    return max(MIN_STEP_TIMEOUT_S, round(estimate.billed_hours * 3600 * STEP_TIMEOUT_FACTOR))
