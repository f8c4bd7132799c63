"""Upload what the cluster runs (bootstrap, Spark jobs, their zipped library, weights) by content hash.

Each file goes to ``OUTPUT_PREFIX/artifacts/<sha256 prefix>/<name>``: a changed file gets a new key,
so a running cluster never sees a file change under it, and an unchanged file is not uploaded again.

The key is not trusted by its name: anyone who can write there could plant a bootstrap the next cluster
runs as root. Each artefact is uploaded with its full SHA-256 as S3 checksum (``ChecksumSHA256``; S3
recomputes it and rejects the PUT when it differs, and stores it with the object), and an existing
object is reused only when ``HeadObject`` with ``ChecksumMode=ENABLED`` returns that same checksum;
anything else (other content, no checksum, a multipart upload's checksum of part checksums) is
replaced. Source: Amazon S3 User Guide, "Checking object integrity for data uploads in Amazon S3"
(docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html), and the S3 API
Reference, ``Checksum`` ("When you use an API operation on an object that was uploaded using multipart
uploads, this value may not be a direct checksum value of the full object"). Hence one single-part
``PutObject`` (up to 5 GB) through the hook's client, rather than ``S3Hook.load_file``, which switches
to multipart uploads above 8 MB (the weights file is 14 MB).
"""
from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from botocore.exceptions import ClientError

from fruits_emr.config import WEIGHTS_IMAGENET, EnvDefaults
from fruits_emr.encryption import put_args
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


def _sha256_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def sha256_file(path: Path) -> str:
    return _sha256_digest(path).hex()


def artifact_uri(layout: RunLayout, path: Path) -> str:
    """Where ``path`` lives in S3: its content hash and its file name under the artifacts prefix."""
    return f"{layout.artifacts_uri}/{sha256_file(path)[:HASH_PREFIX_LEN]}/{path.name}"


def stored_sha256(s3_hook, bucket: str, key: str) -> str | None:
    """The SHA-256 checksum S3 keeps for an object (base64; "" when it has none), None when no object."""
    try:
        head = s3_hook.conn.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return head.get("ChecksumSHA256") or ""


def upload_artifact(s3_hook, layout: RunLayout, path: Path) -> tuple[str, bool]:
    """Upload ``path`` unless S3 already holds exactly this content there; returns (uri, uploaded)."""
    if not path.is_file():
        raise FileNotFoundError(f"artifact to upload is missing: {path}")
    uri = artifact_uri(layout, path)
    bucket, key = split_s3_uri(uri)
    expected = base64.b64encode(_sha256_digest(path)).decode()
    stored = stored_sha256(s3_hook, bucket, key)
    if stored == expected:
        log.info("unchanged (S3 SHA-256 checksum matches), not uploaded: %s", uri)
        return uri, False
    if stored is not None:
        log.warning("%s holds other content than %s (S3 SHA-256 checksum %r, expected %r): replacing it",
                    uri, path.name, stored or "none", expected)
    with path.open("rb") as body:
        s3_hook.conn.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm="SHA256",
                                ChecksumSHA256=expected, **put_args(s3_hook))
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
