"""Plain-language conclusions from the measured results (computed: they never contradict the numbers)."""
from __future__ import annotations

from benchmarks.inference import AGREEMENT_BAR
from benchmarks.report import BACKEND_SPEEDUP_BAR, fastest_alternative


def backend_decision(runtimes: dict[str, dict]) -> str:
    """Whether the fastest alternative runtime qualifies as a featurize backend (speed and agreement bars)."""
    fastest = fastest_alternative(runtimes)
    if fastest is None:
        return "No alternative runtime was measured, so none is offered as a backend."
    name, result = fastest
    fast_enough = result["vs_keras"] >= BACKEND_SPEEDUP_BAR
    verdict = "qualifies" if fast_enough and result["matches_keras"] else "does NOT qualify"
    return (f"Fastest alternative: **{name}** at {result['vs_keras']}x Keras (bar {BACKEND_SPEEDUP_BAR}x), "
            f"min cosine {result['min_cosine_vs_keras']} (bar {AGREEMENT_BAR}): it {verdict} as a selectable "
            "backend of the featurize job; Keras stays the default and the reference.")


def pca_note(fit_s: dict[str, float]) -> str:
    """Why 1M rows is (or is not) in the PCA curve, with the linear extrapolation from the largest run."""
    if not fit_s:
        return "PCA fit-time curve not run (--pca-rows was empty)."
    largest = max(fit_s, key=int)
    if int(largest) >= 1_000_000:
        return "1M rows measured."
    estimate = fit_s[largest] * 1_000_000 / int(largest)
    return (f"1M rows not run: its input alone is ~5 GB of Parquet (1M x 1280 float32) to write and read "
            f"twice, and a linear extrapolation of the {largest}-row fit ({fit_s[largest]} s) gives "
            f"~{estimate:.0f} s of fit on this 2-core machine, beyond the benchmark's time budget. "
            "Spark's PCA is one covariance "
            "pass over the rows (linear in rows, quadratic in the 1280 dimensions) plus a 1280x1280 eigen "
            "decomposition, so the cost per row stays flat and a cluster divides it by its cores.")


def storage_note(storage: dict) -> str:
    """Where the PCA output's bytes go, from the what-if layouts."""
    what_if = storage["what_if"]
    return (f"A float32 PCA row is {4 * storage['k']} bytes of incompressible floats while the 1280-d "
            f"float32 features compress, and both files carry the path and label strings: the PCA column "
            f"alone would give {what_if['pca_column_only_float32']['ratio']}x, float16 PCA values with path "
            f"and label {what_if['pca_as_float16_with_path_label']['ratio']}x (the job's rows rewritten "
            f"as-is by pyarrow, "
            f"the baseline of these what-ifs: {what_if['pyarrow_rewrite_as_is']['ratio']}x).")


def interpret(results: dict) -> list[str]:
    """One sentence per finding: targets, broadcast effect, runtimes, cost, caveats."""
    spark = results["spark"]
    lines = [
        f"Spark steady state runs at {results['featurize_vs_keras']}x plain single-process Keras "
        f"({results['spark_images_per_s']} vs {results['keras_images_per_s']} images/s, "
        "decode included in both; "
        "the Spark time also covers listing, reading and writing Parquet).",
        f"Broadcasting the weights is {results['broadcast_vs_naive']}x faster than reloading them "
        "from storage "
        f"for every batch ({results['naive_images_per_s']} images/s naive, batch {spark['batch_size']}).",
        f"PCA to k={results['storage']['k']} keeps {results['storage']['total_explained_variance']:.1%} "
        "of the variance of the real features "
        f"and cuts storage {results['storage_ratio']}x.",
        storage_note(results["storage"]),
        f"At {results['cost']['images_per_vcpu_s']} images/s per vCPU, a million images cost "
        f"{results['eur_per_million_images']} EUR of marginal cluster time on Spot core nodes "
        f"({results['cost']['eur_per_million_images_on_demand']} EUR on demand; "
        f"{results['cost']['one_million_run_eur']} EUR for a one-off 1M-image run including provisioning).",
        *(f"With the job's --backend {name}, the same model gives {cost['eur_per_million_images']} EUR per "
          "million images." for name, cost in results["cost_by_backend"].items()),
        backend_decision(results["runtimes"]),
        *(f"In the Spark job, --backend {name.removeprefix('backend_')} runs at {rate} images/s, "
          f"{rate / spark['spark_images_per_s']:.2f}x the default Keras backend in the same rounds."
          for name, rate in spark["images_per_s_by_provider"].items() if name.startswith("backend_")),
        "The machine is shared with other engineers' jobs (see the load averages): absolute rates are noisy, "
        "ratios measured in the same interleaved rounds are the numbers to trust.",
    ]
    if not results["real_images"] or not results["real_weights"]:
        lines.append("Inputs were NOT the real images and weights (see Machine and inputs): "
                     "agreement, variance and storage numbers do not describe real features.")
    return lines
