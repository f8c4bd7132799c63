"""The DAG's Params: the form shown when a run is triggered by hand, with the nightly run's defaults.

Airflow checks each value against its JSON schema before the run starts; ``fruits_emr.config`` then
checks what a schema cannot (the region, the bucket, prefixes that must differ).
"""
from __future__ import annotations

from airflow.sdk import Param

from fruits_emr.config import K_MAX, MAX_CORE_INSTANCES, MAX_IMAGES_LIMIT
from fruits_emr.key_prefix import PREFIX_PATTERN


def dag_params() -> dict[str, Param]:
    """The Params of ``fruits_features``, in the order the trigger form shows them."""
    return {
        "input_prefix": Param(
            "fruits/images",
            type="string",
            pattern=PREFIX_PATTERN,
            title="Input prefix",
            description="Key prefix of the photos in the bucket, one sub-folder per fruit class.",
        ),
        "output_prefix": Param(
            "fruits/features",
            type="string",
            pattern=PREFIX_PATTERN,
            title="Output prefix",
            description="Key prefix for runs/, latest.json, the manifest, artifacts and EMR logs.",
        ),
        "max_images": Param(
            20_000,
            type="integer",
            minimum=1,
            maximum=MAX_IMAGES_LIMIT,
            title="Max images",
            description="At most this many new images are processed; the rest wait for the next run.",
        ),
        "k": Param(
            50,
            type="integer",
            minimum=1,
            maximum=K_MAX,
            title="PCA components (k)",
            description="Dimensions kept by the PCA (MobileNetV2 features have 1280).",
        ),
        "core_instance_count": Param(
            2,
            type="integer",
            minimum=1,
            maximum=MAX_CORE_INSTANCES,
            title="Core instances",
            description="Number of EMR core nodes running Spark executors.",
        ),
        "use_spot": Param(
            True,
            type="boolean",
            title="Use Spot for core nodes",
            description="Spot capacity with on-demand fallback after 10 minutes; off = on-demand only.",
        ),
        "budget_eur": Param(
            10.0,
            type="number",
            exclusiveMinimum=0,
            maximum=1000,
            title="Budget (EUR)",
            description="The run refuses to start when its estimated cost is above this.",
        ),
        "min_explained_variance": Param(
            0.8,
            type="number",
            exclusiveMinimum=0,
            maximum=1,
            title="Min. explained variance",
            description="Validation fails when the k components explain less of the variance.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Plan the inputs and estimate the cost only; no upload, no cluster.",
        ),
        "full_reprocess": Param(
            False,
            type="boolean",
            title="Full reprocess",
            description="Ignore the manifest of processed images and featurize everything again.",
        ),
    }
