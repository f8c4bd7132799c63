"""The DAG's Params: the form shown when a run is triggered by hand, with the nightly run's defaults.

Airflow checks each value against its JSON schema before the run starts; ``fruits_emr.config`` then
checks what a schema cannot (the region, the bucket, prefixes that must differ). Each description gives
the allowed range or format, because the form shows it under the field.

Switches are typed ``["boolean", "null"]``: Airflow's form marks every field whose type does not allow
``null`` as required (a red asterisk), which means nothing for a switch that is always on or off
(``isParamRequired`` in Airflow's UI). A null switch counts as off.
"""
from __future__ import annotations

from airflow.sdk import Param

from fruits_emr.config import K_MAX, MAX_CORE_INSTANCES, MAX_IMAGES_LIMIT
from fruits_emr.cost import DEFAULT_BACKEND, IMAGES_PER_VCPU_S_BY_BACKEND
from fruits_emr.key_prefix import PREFIX_PATTERN

SWITCH = ["boolean", "null"]
# A schema `minimum` (not `exclusiveMinimum`): the form's number field clamps a typed value below it
# to it on leaving the field; without one, a typed "-" empties the field ("This field is required").
MIN_BUDGET_EUR = 0.01
MAX_BUDGET_EUR = 1000
MIN_EXPLAINED_VARIANCE = 0.01
_PREFIX_FORMAT = "A key prefix inside the bucket, like {example}: no s3://, no bucket name, no leading slash."


def dag_params() -> dict[str, Param]:
    """The Params of ``fruits_features``, in the order the trigger form shows them."""
    return {
        "input_prefix": Param(
            "fruits/images",
            type="string",
            pattern=PREFIX_PATTERN,
            title="Input prefix",
            description="Where the photos are, one sub-folder per fruit class. "
            + _PREFIX_FORMAT.format(example="fruits/images"),
        ),
        "output_prefix": Param(
            "fruits/features",
            type="string",
            pattern=PREFIX_PATTERN,
            title="Output prefix",
            description="Where runs/, latest.json (the published snapshot), artifacts and EMR logs go; "
            "must not contain the input prefix or be inside it. "
            + _PREFIX_FORMAT.format(example="fruits/features"),
        ),
        "max_images": Param(
            20_000,
            type="integer",
            minimum=1,
            maximum=MAX_IMAGES_LIMIT,
            title="Max images",
            description=f"1 to {MAX_IMAGES_LIMIT:,}. At most this many new or changed images are featurized; "
            "the rest wait for the next run.",
        ),
        "k": Param(
            50,
            type="integer",
            minimum=1,
            maximum=K_MAX,
            title="PCA components (k)",
            description=f"1 to {K_MAX}: dimensions kept by the PCA (MobileNetV2 features have {K_MAX}).",
        ),
        "backend": Param(
            DEFAULT_BACKEND,
            type="string",
            enum=list(IMAGES_PER_VCPU_S_BY_BACKEND),
            title="Inference backend",
            description="How the featurize step runs MobileNetV2: tflite (LiteRT with XNNPACK, about 2x "
            "faster, checked against Keras before every run) or keras (the reference).",
        ),
        "core_instance_count": Param(
            2,
            type="integer",
            minimum=1,
            maximum=MAX_CORE_INSTANCES,
            title="Core instances",
            description=f"1 to {MAX_CORE_INSTANCES}: EMR core nodes running Spark executors (the primary "
            "node comes on top).",
        ),
        "use_spot": Param(
            True,
            type=SWITCH,
            title="Use Spot for core nodes",
            description="Spot capacity with on-demand fallback after 10 minutes; off = on-demand only.",
        ),
        "budget_eur": Param(
            10.0,
            type="number",
            minimum=MIN_BUDGET_EUR,
            maximum=MAX_BUDGET_EUR,
            title="Budget (EUR)",
            description=f"{MIN_BUDGET_EUR} to {MAX_BUDGET_EUR} EUR. The run refuses to start when its "
            "estimated cost is above this (the estimate is in the estimate_cost log).",
        ),
        "min_explained_variance": Param(
            0.8,
            type="number",
            minimum=MIN_EXPLAINED_VARIANCE,
            maximum=1,
            title="Min. explained variance",
            description=f"{MIN_EXPLAINED_VARIANCE} to 1 (0.8 = 80 %). Validation fails when the k components "
            "explain less of the variance.",
        ),
        "dry_run": Param(
            False,
            type=SWITCH,
            title="Dry run",
            description="Plan the inputs and estimate the cost only; no upload, no cluster.",
        ),
        "full_reprocess": Param(
            False,
            type=SWITCH,
            title="Full reprocess",
            description="Plan as if nothing was published: featurize every image again.",
        ),
        "publish": Param(
            True,
            type=SWITCH,
            title="Publish",
            description="Point latest.json (what readers use) at this run when it is valid. Off for a "
            "test run: its outputs stay under runs/ and the published snapshot is unchanged.",
        ),
    }
