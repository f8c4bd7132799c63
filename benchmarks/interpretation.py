"""Plain-language conclusions drawn from the measured results (computed, never contradicting them)."""

from __future__ import annotations

from benchmarks.report import BACKEND_SPEEDUP_BAR, fastest_alternative
from fruits_spark.conversion_check import AGREEMENT_BAR


def backend_decision(runtimes: dict[str, dict], default_runtime: str) -> str:
    """Which runtime the numbers favour as the job's backend, next to the one the job uses by default.

    Only a runtime whose features match Keras on every image (cosine >= the agreement bar) can be a
    backend; a faster one that does not match is named with its figure, never chosen.
    """
    fastest = fastest_alternative(runtimes)
    if fastest is None:
        return "No alternative runtime reproduced Keras' features, so none is offered as a backend."
    name, result = fastest
    verdict = ("it is the job's default backend" if name == default_runtime
               else f"the job's default backend runs as {default_runtime} at "
                    f"{runtimes.get(default_runtime, {}).get('vs_keras')}x")
    if result["vs_keras"] < BACKEND_SPEEDUP_BAR:
        verdict += f"; below the {BACKEND_SPEEDUP_BAR}x bar for offering a backend other than Keras"
    sentence = (f"Fastest runtime matching Keras (min cosine >= {AGREEMENT_BAR} on every image): "
                f"**{name}** at {result['vs_keras']}x Keras; {verdict}.")
    unfaithful = fastest_alternative(runtimes, faithful=False)
    if unfaithful and unfaithful[0] != name:
        other, figures = unfaithful
        sentence += (f" Faster but not matching Keras: {other} at {figures['vs_keras']}x, min cosine "
                     f"{figures['min_cosine_vs_keras']}: not usable as a backend.")
    return sentence


def _accuracy_sentence(accuracy: dict) -> str:
    exact, spark_ml = accuracy["exact_pca_job"], accuracy["spark_ml_pca"]
    return (
        f"On the {accuracy['rows']} real features (k={accuracy['k']}), the PCA job's explained variance is "
        f"within {exact['explained_variance_ratio_error']:.1e} of numpy's SVD, its subspace within "
        f"{exact['largest_principal_angle_rad']:.1e} rad and its projections within "
        f"{exact['projection_error']:.1e} (of the first component's standard deviation); Spark ML's PCA on "
        f"the same rows and machine keeps {spark_ml['total_explained_variance']:.4f} of the variance against "
        f"numpy's {spark_ml['numpy_total_explained_variance']:.4f}, largest principal angle "
        f"{spark_ml['largest_principal_angle_rad']:.2f} rad."
    )


def _speed_sentences(scaling: dict, one_million_s: float | None) -> list[str]:
    lines = []
    if one_million_s is None:
        lines.append("1M rows not measured this time (--pca-rows lacks 1000000).")
    else:
        exact = scaling["1000000"]["exact"]
        lines.append(
            f"1M x 1280 rows: statistics + eigh {exact['fit_s']} s, projection {exact['project_s']} s: "
            f"pca_1m_s = {one_million_s} s (target <= 180 s), plus {exact['self_check_s']} s of "
            "self-checks (reading the output back, Summarizer pass)."
        )
    for rows, result in scaling.items():
        if "spark_ml" in result:
            baseline, exact = result["spark_ml"]["fit_and_project_s"], result["exact"]["fit_and_project_s"]
            lines.append(f"At {rows} rows Spark ML's PCA fit + projection took {baseline} s, "
                         f"{baseline / exact:.1f}x the exact job's {exact} s.")
    return lines


def _refit_sentence(refit: dict, scaling: dict) -> str:
    base = scaling[str(refit["base_rows"])]["exact"]
    return (
        f"A refit with {refit['new_rows']} new rows on top of {refit['base_rows']} (statistics reused): "
        f"{refit['refit_s']} s (saved statistics loaded in {refit['load_saved_stats_s']} s, new rows' "
        f"statistics {refit['new_rows_stats_s']} s, combine + eigh {refit['combine_and_eigh_s']} s) against "
        f"{base['fit_s']} s for a fit from scratch; projecting the new rows takes "
        f"{refit['project_new_rows_s']} s, re-projecting all rows with the new basis one projection pass "
        f"({base['project_s']} s at {refit['base_rows']} rows)."
    )


def pca_note(results: dict) -> str:
    """Accuracy on the real features, speed at 1M rows against Spark ML's PCA, and the refit cost."""
    scaling = results["pca_scaling"]
    lines = [_accuracy_sentence(results["pca_accuracy"]), *_speed_sentences(scaling, results["pca_1m_s"])]
    if results.get("pca_refit"):
        lines.append(_refit_sentence(results["pca_refit"], scaling))
    return " ".join(lines)


def storage_note(storage: dict) -> str:
    """Where the PCA output's bytes go, from the what-if layouts."""
    what_if = storage["what_if"]
    chosen = what_if["float16_precision_bss_zstd (the job's layout)"]
    return (
        f"A full-precision float32 PCA row is {4 * storage['k']} bytes of nearly incompressible floats "
        f"({what_if['float32_snappy']['ratio']}x rewritten with snappy, "
        f"{what_if['float32_bss_zstd']['ratio']}x byte-stream-split + zstd); rounded to float16's precision "
        f"and byte-stream-split, the zeroed low bytes compress away: {chosen['ratio']}x "
        f"(pyarrow's float16 type: {what_if['pyarrow_float16_zstd']['ratio']}x; bfloat16's precision: "
        f"{what_if['bfloat16_precision_bss_zstd']['ratio']}x; dropping the label column: "
        f"{what_if['float16_precision_bss_zstd_without_label']['ratio']}x, not worth a join). The k-NN probe "
        f"accuracy is {what_if['float32_snappy']['probe_accuracy']} at full precision and "
        f"{chosen['probe_accuracy']} in the job's layout."
    )


def probe_sentence(results: dict) -> str:
    """What the PCA costs in k-NN probe accuracy of the labels."""
    probe = results["pca_accuracy"]["probe"]
    return (
        f"Quality yardstick ({probe['pca']['method']}, {probe['pca']['rows']} real images, "
        f"{probe['pca']['classes']} classes): probe accuracy {results['probe_accuracy_features']} on the "
        f"1280-d features and {results['probe_accuracy_pca']} on the stored k={results['storage']['k']} PCA "
        "values."
    )


def inventory_sentence(inventory: dict, s3_listing: dict) -> str:
    """How long a 100,000-file input list takes to plan and read, job side and plan side."""
    scaled = ""
    if inventory["scaled_from_fewer_files"]:
        scaled = f", scaled linearly from {inventory['files']} files"
    return (
        f"The job's inventory (Spark's own listing of the listed files' folders, one py4j round trip) "
        f"took {inventory['inventory_s']} s and reading every listed file's bytes {inventory['read_s']} s: "
        f"{inventory['inventory_100k_s']} s for 100,000 files{scaled}. The plan task's listing through the "
        f"provider's S3Hook took {s3_listing['seconds']} s for {s3_listing['keys']} keys against the "
        "emulator (moto answers each page by scanning the bucket: AWS returns 1,000 keys per request)."
    )


def interpret(results: dict) -> list[str]:
    """One sentence per finding: targets, broadcast effect, runtimes, cost, caveats."""
    spark = results["spark"]
    alone = results.get("featurize_vs_backend_alone")
    steady = spark["steady_state"]
    lines = [
        f"In steady state the featurize job with its default backend ({results['default_backend']}) runs at "
        f"{results['featurize_vs_keras']}x plain single-process Keras "
        f"({results['spark_steady_images_per_s']} vs {results['keras_images_per_s']} images/s, decode "
        "included in both) and at "
        + (f"{alone}x" if alone is not None else "an unmeasured fraction of")
        + " the same backend run alone in one process on the same cores and images. Steady state: the "
        f"extra images of a {steady['double_images']}-image run over its extra seconds against a "
        f"{steady['images']}-image run; each job also pays about {steady['per_job_seconds']} s that do not "
        "grow with the images (planning the read, the count stage, committing two Parquet outputs), so a "
        f"{steady['images']}-image run end to end is {results['featurize_vs_backend_alone_end_to_end']}x "
        "the backend alone.",
        probe_sentence(results),
        inventory_sentence(results["inventory"], results["s3_listing"]),
        f"Broadcasting the weights is {results['broadcast_vs_naive']}x faster than reloading them from "
        f"storage for every batch ({results['naive_images_per_s']} images/s naive, "
        f"batch {spark['batch_size']}).",
        f"PCA to k={results['storage']['k']} keeps {results['storage']['total_explained_variance']:.1%} "
        "of the variance of the real features "
        f"and cuts storage {results['storage_ratio']}x.",
        storage_note(results["storage"]),
        f"At {results['cost']['images_per_vcpu_s']} images/s per vCPU, a million images cost "
        f"{results['eur_per_million_images']} EUR of marginal cluster time on Spot core nodes "
        f"({results['cost']['eur_per_million_images_on_demand']} EUR on demand; "
        f"{results['cost']['one_million_run_eur']} EUR for a one-off 1M-image run including provisioning).",
        *(
            f"With the job's --backend {name}, the same model gives {cost['eur_per_million_images']} EUR per "
            "million images."
            for name, cost in results["cost_by_backend"].items()
        ),
        *(
            f"In the Spark job, --backend {name.removeprefix('backend_')} runs at {rate} images/s, "
            f"{rate / spark['keras_job_images_per_s']:.2f}x the Keras backend in the same rounds."
            for name, rate in spark["images_per_s_by_provider"].items()
            if name.startswith("backend_")
        ),
        "The machine is shared with other engineers' jobs (see the load averages): absolute rates are noisy, "
        "ratios measured in the same interleaved rounds are the numbers to trust.",
    ]
    if not results["real_images"] or not results["real_weights"]:
        lines.append("Inputs were NOT the real images and weights (see Machine and inputs): "
                     "agreement, variance and storage numbers do not describe real features.")
    return lines
