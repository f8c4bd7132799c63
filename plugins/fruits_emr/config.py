"""The validated configuration of one DAG run: Params from the trigger form + environment defaults.

``load_config`` is the only way to build a ``RunConfig``; it refuses bad values with one error listing
every problem, so nothing is created on AWS with a half-valid configuration. Reading the region
looks at the Airflow connection only (no AWS call), so a non-EU region is refused before any request.
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from fruits_emr.cost import IMAGES_PER_VCPU_S_BY_BACKEND, ClusterShape
from fruits_emr.failures import PermanentFailure
from fruits_emr.input_keys import DEFAULT_MAX_IMAGE_BYTES
from fruits_emr.instance_types import INSTANCE_TYPES, known_types
from fruits_emr.job_bundle import missing_files
from fruits_emr.key_prefix import PREFIX_RULE, is_valid_prefix, normalised_prefix
from fruits_emr.layout import RunLayout, prefixes_overlap, run_key, s3_uri
from fruits_emr.retention import DEFAULT_RETENTION_DAYS
from fruits_emr.security_settings import SecuritySettings

AWS_CONN_ID = "aws_default"
DEFAULT_REGION = "eu-west-3"
# Regions of the European Union. London (eu-west-2) and Zurich (eu-central-2) are in Europe but not
# in the EU, so they are refused like any other region.
EU_REGIONS = frozenset(
    {"eu-west-1", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2"}
)
# Facts the Spark jobs own (fruits_spark.weights.IMAGENET, fruits_spark.mobilenet.FEATURE_DIM), repeated
# here because Airflow workers cannot import fruits_spark (not deployed with the DAG, and it needs pyspark);
# tests/library/test_shared_facts.py keeps the copies equal.
WEIGHTS_IMAGENET = "imagenet"
K_MAX = 1280  # MobileNetV2's pooled output has 1280 dimensions
# Per run, the size the benchmarks prove: the featurize driver's inventory lists ~130 files/s here
# (benchmarks/results.json "inventory"), so 200,000 files take ~25 min; larger collections grow over
# nights (planning against a 1M-entry catalogue: "plan_scale").
MAX_IMAGES_LIMIT = 200_000
MAX_CORE_INSTANCES = 20
NIGHTLY_SCHEDULE = "30 1 * * *"  # 01:30 UTC
SCHEDULE_OFF = "none"  # FRUITS_EMR_SCHEDULE value for "manual runs only"

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Part of cluster names and tags: lower-case letters, digits and inner dashes, at most 32 characters.
_DEPLOYMENT_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
DEFAULT_DEPLOYMENT_ID = "default"


class ConfigError(PermanentFailure, ValueError):
    """The run's configuration is invalid; the message lists every problem found."""


@dataclass(frozen=True)
class EnvDefaults:
    """Settings that belong to the deployment, not to one run (read from ``FRUITS_EMR_*`` variables)."""

    bucket: str
    weights: str
    poke_interval_s: float
    primary_instance_type: str
    core_instance_type: str
    schedule: str | None  # cron expression, or None: runs start only when triggered
    s3_browser_url: str | None  # where people browse the bucket instead of the S3 console (local runs)
    deployment_id: str
    max_image_bytes: int
    retention_days: int
    job_bundle: str = ""  # the folder `make dist` built; "" = the repository tree (fruits_emr.job_bundle)
    security: SecuritySettings = field(default_factory=SecuritySettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "EnvDefaults":
        return cls(
            bucket=env.get("FRUITS_EMR_BUCKET", ""),
            weights=env.get("FRUITS_EMR_WEIGHTS", WEIGHTS_IMAGENET),
            poke_interval_s=float(env.get("FRUITS_EMR_POKE_INTERVAL", "60")),
            primary_instance_type=env.get("FRUITS_EMR_PRIMARY_INSTANCE_TYPE", "m5.xlarge"),
            core_instance_type=env.get("FRUITS_EMR_CORE_INSTANCE_TYPE", "m5.xlarge"),
            schedule=_schedule(env.get("FRUITS_EMR_SCHEDULE", NIGHTLY_SCHEDULE)),
            s3_browser_url=env.get("FRUITS_EMR_S3_BROWSER_URL") or None,
            deployment_id=env.get("FRUITS_EMR_DEPLOYMENT_ID", DEFAULT_DEPLOYMENT_ID),
            max_image_bytes=int(env.get("FRUITS_EMR_MAX_IMAGE_BYTES", str(DEFAULT_MAX_IMAGE_BYTES))),
            retention_days=int(env.get("FRUITS_EMR_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))),
            job_bundle=env.get("FRUITS_EMR_JOB_BUNDLE", ""),
            security=SecuritySettings.from_env(env),
        )


def _schedule(value: str) -> str | None:
    """A cron expression, or None for ``none``/empty (the DAG then runs only when triggered)."""
    value = value.strip()
    return None if value.lower() in {"", SCHEDULE_OFF} else value


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs to know; built by ``load_config``, passed between tasks as a dict."""

    region: str
    deployment_id: str
    bucket: str
    input_prefix: str
    output_prefix: str
    weights: str
    max_images: int
    k: int
    backend: str
    primary_instance_type: str
    core_instance_type: str
    core_instance_count: int
    use_spot: bool
    budget_eur: float
    min_explained_variance: float
    dry_run: bool
    full_reprocess: bool
    max_image_bytes: int
    retention_days: int
    publish: bool
    security: SecuritySettings = field(default_factory=SecuritySettings)

    @property
    def input_uri(self) -> str:
        """The folder of input images (one sub-folder per class), with a trailing slash."""
        return s3_uri(self.bucket, self.input_prefix) + "/"

    @property
    def cluster_shape(self) -> ClusterShape:
        return ClusterShape(
            primary_type=self.primary_instance_type,
            core_type=self.core_instance_type,
            core_count=self.core_instance_count,
            use_spot=self.use_spot,
        )

    def layout(self, run_id: str) -> RunLayout:
        return RunLayout(bucket=self.bucket, output_prefix=self.output_prefix, run_key=run_key(run_id))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RunConfig":
        values = {f.name: data[f.name] for f in fields(cls)}
        return cls(**{**values, "security": SecuritySettings.from_dict(values["security"])})


def _problems(cfg: RunConfig) -> list[str]:
    problems = []
    if cfg.region not in EU_REGIONS:
        problems.append(
            f"region {cfg.region!r} is not an EU region; allowed: {', '.join(sorted(EU_REGIONS))} "
            f"(set region_name in the {AWS_CONN_ID!r} connection)"
        )
    if not _DEPLOYMENT_ID.fullmatch(cfg.deployment_id):
        problems.append(
            f"deployment id {cfg.deployment_id!r} must be 1-32 lower-case letters, digits or inner dashes "
            "(set FRUITS_EMR_DEPLOYMENT_ID)"
        )
    if not _BUCKET.fullmatch(cfg.bucket):
        problems.append(f"bucket {cfg.bucket!r} is not a valid S3 bucket name (set FRUITS_EMR_BUCKET)")
    for name in ("input_prefix", "output_prefix"):
        value = getattr(cfg, name)
        if not is_valid_prefix(value):
            problems.append(f"{name} {value!r} must be {PREFIX_RULE}")
    input_folder, output_folder = normalised_prefix(cfg.input_prefix), normalised_prefix(cfg.output_prefix)
    if prefixes_overlap(cfg.bucket, input_folder, cfg.bucket, output_folder):
        problems.append("input_prefix and output_prefix must differ and neither may contain the other")
    weights = cfg.weights
    if not (weights == WEIGHTS_IMAGENET or weights.startswith("s3://") or os.path.isfile(weights)):
        problems.append(
            f"weights {cfg.weights!r} must be 'imagenet', an s3:// URI or an existing local file "
            "(set FRUITS_EMR_WEIGHTS)"
        )
    if not 1 <= cfg.max_images <= MAX_IMAGES_LIMIT:
        problems.append(f"max_images must be between 1 and {MAX_IMAGES_LIMIT}, got {cfg.max_images}")
    if not 1 <= cfg.k <= K_MAX:
        problems.append(f"k must be between 1 and {K_MAX}, got {cfg.k}")
    if not 1 <= cfg.core_instance_count <= MAX_CORE_INSTANCES:
        problems.append(
            f"core_instance_count must be between 1 and {MAX_CORE_INSTANCES}, got {cfg.core_instance_count}"
        )
    for name in ("primary_instance_type", "core_instance_type"):
        if getattr(cfg, name) not in INSTANCE_TYPES:
            problems.append(
                f"{name} {getattr(cfg, name)!r} is not a known instance type; choose one of {known_types()}"
            )
    if not cfg.budget_eur > 0:
        problems.append(f"budget_eur must be > 0, got {cfg.budget_eur}")
    if cfg.max_image_bytes < 1:
        problems.append(f"FRUITS_EMR_MAX_IMAGE_BYTES must be >= 1, got {cfg.max_image_bytes}")
    if cfg.retention_days < 1:
        problems.append(f"FRUITS_EMR_RETENTION_DAYS must be >= 1, got {cfg.retention_days}")
    problems.extend(cfg.security.problems())
    if cfg.backend not in IMAGES_PER_VCPU_S_BY_BACKEND:
        choices = ", ".join(IMAGES_PER_VCPU_S_BY_BACKEND)
        problems.append(f"backend must be one of {choices}, got {cfg.backend!r}")
    if not 0.0 < cfg.min_explained_variance <= 1.0:
        problems.append(f"min_explained_variance must be in (0, 1], got {cfg.min_explained_variance}")
    elif cfg.min_explained_variance >= 1.0 and cfg.k < K_MAX:
        problems.append(
            f"min_explained_variance 1.0 cannot be reached with k={cfg.k}: fewer than {K_MAX} components "
            f"leave some variance out; lower min_explained_variance or set k={K_MAX}"
        )
    return problems


def load_config(params: Mapping[str, Any], region: str | None, env: EnvDefaults) -> RunConfig:
    """Merge the run's Params with the deployment defaults and validate the result.

    ``region`` is the region the AWS connection points at (``None`` means the default region).
    """
    try:
        cfg = RunConfig(
            region=region or DEFAULT_REGION,
            deployment_id=env.deployment_id,
            bucket=env.bucket,
            input_prefix=str(params["input_prefix"]),
            output_prefix=str(params["output_prefix"]),
            weights=env.weights,
            max_images=int(params["max_images"]),
            k=int(params["k"]),
            backend=str(params["backend"]),
            primary_instance_type=env.primary_instance_type,
            core_instance_type=env.core_instance_type,
            core_instance_count=int(params["core_instance_count"]),
            use_spot=bool(params["use_spot"]),
            budget_eur=float(params["budget_eur"]),
            min_explained_variance=float(params["min_explained_variance"]),
            dry_run=bool(params["dry_run"]),
            full_reprocess=bool(params["full_reprocess"]),
            max_image_bytes=env.max_image_bytes,
            retention_days=env.retention_days,
            publish=bool(params["publish"]),
            security=env.security,
        )
    except KeyError as missing:
        raise ConfigError(f"missing parameter {missing}") from None
    except (TypeError, ValueError) as bad:
        raise ConfigError(f"a parameter has the wrong type: {bad}") from None
    problems = _problems(cfg)
    missing = missing_files(Path(env.job_bundle)) if env.job_bundle else []
    if missing:
        problems.append(f"job bundle {env.job_bundle!r} lacks {', '.join(missing)} "
                        "(set FRUITS_EMR_JOB_BUNDLE to a folder `make dist` built)")
    if problems:
        raise ConfigError("invalid run configuration:\n  - " + "\n  - ".join(problems))
    return cfg


def connection_region(aws_conn_id: str = AWS_CONN_ID) -> str | None:
    """The region the Airflow AWS connection points at, read without calling AWS."""
    import botocore.session
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    configured = AwsBaseHook(aws_conn_id=aws_conn_id, client_type="emr").region_name
    return configured or botocore.session.get_session().get_config_variable("region")
