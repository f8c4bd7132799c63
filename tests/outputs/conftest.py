"""Fixtures for the output-side tests: an in-process moto S3 in eu-west-3 reached through the real
S3Hook (no Airflow connection: boto3 reads the fake credentials set here), and a run layout."""
from __future__ import annotations

import pytest

from fruits_emr.layout import RunLayout
from tests.outputs.run_outputs import BUCKET, REGION, make_layout


@pytest.fixture(scope="module")
def _moto_s3_hook(tmp_path_factory):
    """One in-process moto per test module (starting it per test costs ~0.5 s), never the whole
    session: an active mock_aws would also capture other areas' calls to their moto server."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as env:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        env.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
        with mock_aws():
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook

            yield S3Hook(aws_conn_id=None, region_name=REGION)


@pytest.fixture
def s3_hook(_moto_s3_hook):
    """The provider's S3Hook on a new, empty moto bucket in eu-west-3."""
    _moto_s3_hook.create_bucket(BUCKET, region_name=REGION)
    yield _moto_s3_hook
    _moto_s3_hook.delete_bucket(BUCKET, force_delete=True)


@pytest.fixture
def layout() -> RunLayout:
    return make_layout()
