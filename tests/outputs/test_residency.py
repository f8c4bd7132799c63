"""EU residency checked on S3: GetBucketLocation of every bucket the run touches, against moto S3."""
from __future__ import annotations

import boto3
import pytest

from fruits_emr.config import ConfigError, EnvDefaults, load_config
from fruits_emr.params import dag_params
from fruits_emr.residency import bucket_region, check_residency, run_buckets
from tests.outputs.run_outputs import BUCKET, REGION


def run_config(region: str = REGION, **settings: str):
    params = {name: p.value for name, p in dag_params().items()}
    return load_config(params, region, EnvDefaults.from_env({"FRUITS_EMR_BUCKET": BUCKET, **settings}))


def make_bucket(name: str, region: str) -> None:
    client = boto3.client("s3", region_name=region)
    if region == "us-east-1":  # us-east-1 takes no LocationConstraint
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def test_the_run_bucket_in_the_connection_region_passes(s3_hook):
    assert check_residency(s3_hook, run_config()) == {BUCKET: REGION}


def test_a_bucket_in_a_us_region_is_refused_even_though_s3_would_follow_it(s3_hook):
    make_bucket("fruits-us-weights", "us-east-1")
    assert bucket_region(s3_hook, "fruits-us-weights") == "us-east-1"  # LocationConstraint null
    cfg = run_config(FRUITS_EMR_WEIGHTS="s3://fruits-us-weights/models/w.weights.h5")
    with pytest.raises(ConfigError, match="'fruits-us-weights' is in us-east-1, not an EU region"):
        check_residency(s3_hook, cfg)


def test_an_eu_bucket_outside_the_connection_region_is_refused(s3_hook):
    make_bucket("fruits-frankfurt", "eu-central-1")
    cfg = run_config(FRUITS_EMR_WHEELHOUSE="s3://fruits-frankfurt/wheels")
    with pytest.raises(ConfigError, match="'fruits-frankfurt' is in eu-central-1, not in the connection's"):
        check_residency(s3_hook, cfg)


def test_the_run_bucket_itself_must_be_in_the_connection_region(s3_hook):
    with pytest.raises(ConfigError, match=f"'{BUCKET}' is in {REGION}, not in the connection's region eu-we"):
        check_residency(s3_hook, run_config(region="eu-west-1"))


def test_legacy_eu_location_means_ireland(s3_hook):
    from moto.s3.models import s3_backends

    make_bucket("fruits-legacy-ireland", "eu-west-1")
    # moto refuses to create an "EU" bucket (IllegalLocationConstraint), so the stored location is set
    # the way S3 reports a bucket created with the legacy EU constraint
    s3_backends["123456789012"]["aws"].buckets["fruits-legacy-ireland"].region_name = "EU"
    assert s3_hook.conn.get_bucket_location(Bucket="fruits-legacy-ireland")["LocationConstraint"] == "EU"
    assert bucket_region(s3_hook, "fruits-legacy-ireland") == "eu-west-1"


def test_a_bucket_that_cannot_be_located_is_refused(s3_hook):
    cfg = run_config(FRUITS_EMR_WEIGHTS="s3://fruits-no-such-bucket/w.h5")
    with pytest.raises(ConfigError, match="cannot tell where bucket 'fruits-no-such-bucket' is"):
        check_residency(s3_hook, cfg)


def test_every_s3_setting_is_checked():
    cfg = run_config(FRUITS_EMR_WEIGHTS="s3://w-bucket/w.h5",
                     FRUITS_EMR_TLS_CERTIFICATES="s3://certs-bucket/certs.zip",
                     FRUITS_EMR_WHEELHOUSE=f"s3://{BUCKET}/wheels")
    assert run_buckets(cfg) == sorted({BUCKET, "w-bucket", "certs-bucket"})
