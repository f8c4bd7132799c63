"""Short multi-line tables for the task logs: the plan, the cost estimate, step progress, the validation.

A person reads these in the Airflow UI's log view, which cuts long lines at its right edge: one
"name  value" pair per line, values in the units people think in (minutes, EUR, percent), never a
Python dict. Pure formatting: nothing here reads S3 or EMR.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fruits_emr.cost import CostEstimate

Rows = Iterable[tuple[str, Any]]


def table(title: str, rows: Rows) -> str:
    """``title`` then one indented, aligned ``name  value`` line per row."""
    rows = [(str(name), str(value)) for name, value in rows]
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join([title, *(f"  {name:<{width}}  {value}" for name, value in rows)])


def duration(seconds: float) -> str:
    """``42 s``, ``3.5 min``, ``2 h 05 min``: small runs never show as 0."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min".replace(".0 min", " min")
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min"


def percent(fraction: float | None) -> str:
    return f"{fraction:.1%}" if isinstance(fraction, (int, float)) else "n/a"


def plan_table(plan: dict) -> str:
    """The input plan of ``fruits_emr.incremental.plan_inputs``: this run against the published snapshot."""
    title = "Input plan" + (" (full reprocess: the published snapshot is ignored)" if plan["full_reprocess"]
                            else f" against snapshot {plan['based_on'] or '(none published yet)'}")
    return table(
        title,
        [
            ("found", f"{plan['total_found']} objects under the input prefix"),
            ("unchanged", f"{plan['unchanged_featurized']} featurized images reused as they are"),
            ("selected", f"{plan['selected']} new or changed (this run)"),
            ("deferred", f"{plan['deferred']} (over max_images: next run)"),
            (
                "quarantined",
                f"{plan['quarantined_without_featurize']} (bad keys, too large, or unchanged and unusable)",
            ),
            ("erased", f"{plan['deleted']} deleted objects, {plan['dropped_rows']} feature rows dropped"),
            (
                "partitions",
                f"{plan['kept_partitions']} reused, {plan['carried_partitions']} carried into this run",
            ),
            ("snapshot changes", "yes" if plan["changes"] else "no: nothing to do"),
            ("input list", plan["input_list_uri"]),
        ],
    )


def cost_table(estimate: CostEstimate, budget_eur: float) -> str:
    """The cost guard's estimate, with what produced it."""
    shape = estimate.shape
    compute_s = estimate.compute_hours * 3600
    return table(f"Cost estimate: {estimate.eur:.2f} EUR (budget {budget_eur:.2f} EUR)", [
        ("images", estimate.images),
        ("cluster", f"1x {shape.primary_type} + {shape.core_count}x {shape.core_type} "
                    f"({'Spot' if shape.use_spot else 'on-demand'} core nodes, "
                    f"{shape.executor_vcpus} vCPUs in executors)"),
        ("compute time", f"{duration(compute_s)} at {estimate.images_per_vcpu_s:g} images/s per vCPU"),
        ("billed time", f"{duration(estimate.billed_hours * 3600)} (cluster start-up + compute, "
                        "rounded up to whole minutes)"),
        ("cluster price", f"{estimate.eur_per_hour:.3f} EUR/hour"
                          + (f" (Spot discount {estimate.spot_discount:.0%})" if shape.use_spot else "")),
        ("prices", "eu-west-3, billed per second; sources and date in fruits_emr/cost.py"),
    ])


def step_progress(name: str, state: str, elapsed_s: float | None, expected_s: float | None) -> str:
    """One line per sensor poke: the step's state and how long it has run against the estimate."""
    line = f"{name} step {state}"
    if elapsed_s is not None:
        line += f" for {duration(elapsed_s)}"
    if expected_s is not None:
        line += f" (estimate: {duration(expected_s)} of compute)"
    return line


def _check_line(check: dict) -> tuple[str, str]:
    verdict = "ok" if check["passed"] else "FAILED"
    detail = "" if check["passed"] else f": observed {check['observed']!r}, expected {check['expected']!r}"
    return check["name"], verdict + detail


def validation_table(report: dict) -> str:
    """The validation report (``validation.json``) as a person reads it."""
    counts, storage = report["counts"], report["storage"]
    ratio = storage.get("storage_ratio")
    passed = sum(check["passed"] for check in report["checks"])
    verdict = "PASSED" if report["passed"] else f"FAILED ({', '.join(report['failed_checks'])})"
    return table(f"Validation of run {report['run_key']}: {verdict}", [
        ("images", f"{counts['images']} planned, {counts['featurized']} featurized, "
                   f"{counts['quarantined']} quarantined"),
        ("quarantine reasons", {r: n for r, n in (counts.get("quarantine_by_reason") or {}).items() if n}
         or "none"),
        ("explained variance", f"{percent(report['cumulative_explained_variance'])} with k={report['k']}"),
        ("storage", f"features {storage['features_bytes']} B -> PCA {storage['pca_bytes']} B"
                    + (f" ({ratio}x smaller)" if ratio else "")),
        ("checks", f"{passed} of {len(report['checks'])} passed"),
        *(_check_line(check) for check in report["checks"]),
        ("plots", ", ".join(report["plots"]) or "none"),
    ])
