"""Upload what the cluster runs (bootstrap, Spark jobs, their zipped library, weights) by content hash.

Each file goes to ``OUTPUT_PREFIX/artifacts/<sha256 prefix>/<name>``: a changed file gets a new key,
so a running cluster never sees a file change under it, and an unchanged file is not uploaded again.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from fruits_emr.config import WEIGHTS_IMAGENET, EnvDefaults
from fruits_emr.job_bundle import job_files
from fruits_emr.layout import RunLayout, split_s3_uri

log = logging.getLogger(__name__)

HASH_PREFIX_LEN = 16


@dataclass(frozen=True)
class Artifacts:
    """The ``s3://`` URIs the job flow and steps refer to, and which of them this call uploaded."""

    bootstrap: str
    requirements: str
    featurize: str
    pca: str
    spark_lib: str
    weights: str
    uploaded: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Artifacts":
        return cls(**{**data, "uploaded": tuple(data["uploaded"])})


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifact_uri(layout: RunLayout, path: Path) -> str:
    """Where ``path`` lives in S3: its content hash and its file name under the artifacts prefix."""
    return f"{layout.artifacts_uri}/{sha256_file(path)[:HASH_PREFIX_LEN]}/{path.name}"


def upload_artifact(s3_hook, layout: RunLayout, path: Path) -> tuple[str, bool]:
    """Upload ``path`` unless the same content is already there; returns (uri, uploaded)."""
    if not path.is_file():
        raise FileNotFoundError(f"artifact to upload is missing: {path}")
    uri = artifact_uri(layout, path)
    bucket, key = split_s3_uri(uri)
    if s3_hook.check_for_key(key, bucket_name=bucket):
        log.info("unchanged, not uploaded: %s", uri)
        return uri, False
    s3_hook.load_file(str(path), key, bucket_name=bucket, replace=False)
    log.info("uploaded %s (%d bytes) to %s", path.name, path.stat().st_size, uri)
    return uri, True


def upload_artifacts(s3_hook, layout: RunLayout, weights: str, job_bundle: str | None = None) -> Artifacts:
    """Upload the bootstrap files, both job scripts, the library zip and (if local) the weights.

    The job files come from the ``job_bundle`` folder; ``None`` reads ``FRUITS_EMR_JOB_BUNDLE`` and ""
    means the repository tree (see ``fruits_emr.job_bundle``).
    """
    bundle = EnvDefaults.from_env().job_bundle if job_bundle is None else job_bundle
    with job_files(bundle) as files:
        if weights != WEIGHTS_IMAGENET and not weights.startswith("s3://"):
            files["weights"] = Path(weights)
        results = {name: upload_artifact(s3_hook, layout, path) for name, path in files.items()}
    uris = {name: uri for name, (uri, _) in results.items()}
    return Artifacts(
        **{"weights": weights, **uris},
        uploaded=tuple(name for name, (_, uploaded) in results.items() if uploaded),
    )
