"""EU residency, checked on S3 itself: every bucket the run reads or writes lies in the connection's region.

``check_config`` only sees the connection's region, and an S3 client silently follows a bucket to its
real region, so a bucket in a US region would pass it. This check asks S3 where each bucket is
(GetBucketLocation, through the provider's S3Hook client) before the run lists or writes anything:
the run's bucket, an ``s3://`` weights URI, the TLS certificates and the wheelhouse. A bucket outside
the EU regions or outside the connection's region refuses the run (a permanent failure).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fruits_emr.config import EU_REGIONS, ConfigError, RunConfig
from fruits_emr.layout import split_s3_uri

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

# GetBucketLocation answers the LocationConstraint the bucket was created with: "Buckets in Region
# us-east-1 have a LocationConstraint of null. Buckets with a LocationConstraint of EU reside in
# eu-west-1." (Amazon S3 API Reference, GetBucketLocation, Response Elements:
# docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html). botocore returns None for null;
# "" is treated the same.
_LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}


def bucket_region(s3_hook: S3Hook, bucket: str) -> str:
    """The region ``bucket`` lives in, as S3 reports it."""
    try:
        location = s3_hook.conn.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        raise ConfigError(
            f"cannot tell where bucket {bucket!r} is ({code}): the run refuses a bucket whose region "
            "it cannot check (the Airflow role needs s3:GetBucketLocation on it)"
        ) from err
    return _LEGACY_LOCATIONS.get(location, location)


def run_buckets(cfg: RunConfig) -> list[str]:
    """Every bucket the run touches: its own, and those of the s3:// URIs in its settings."""
    uris = [cfg.weights] if cfg.weights.startswith("s3://") else []
    uris += cfg.security.s3_uris()
    return sorted({cfg.bucket, *(split_s3_uri(uri)[0] for uri in uris)})


def check_residency(s3_hook: S3Hook, cfg: RunConfig) -> dict[str, str]:
    """Each bucket's region; raises ``ConfigError`` naming every bucket outside ``cfg.region``."""
    regions = {bucket: bucket_region(s3_hook, bucket) for bucket in run_buckets(cfg)}
    problems = [
        f"bucket {bucket!r} is in {region}, "
        + ("not an EU region" if region not in EU_REGIONS else f"not in the connection's region {cfg.region}")
        for bucket, region in regions.items()
        if region != cfg.region or region not in EU_REGIONS
    ]
    if problems:
        raise ConfigError("data residency: the run reads and writes only EU buckets in its own region:\n  - "
                          + "\n  - ".join(problems))
    return regions
