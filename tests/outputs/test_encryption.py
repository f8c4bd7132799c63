"""Every object the Airflow side writes is server-side encrypted: SSE-S3 by default, SSE-KMS with a key."""
from __future__ import annotations

import pytest

from fruits_emr.artifacts import upload_artifact
from fruits_emr.encryption import encrypted_s3_hook, put_args
from fruits_emr.layout import split_s3_uri
from fruits_emr.pointer import write_pointer
from fruits_emr.s3io import write_bytes
from tests.outputs.run_outputs import REGION

KMS_KEY = "arn:aws:kms:eu-west-3:123456789012:alias/fruits-emr"


def encryption_of(s3_hook, uri: str) -> tuple[str | None, str | None]:
    bucket, key = split_s3_uri(uri)
    head = s3_hook.conn.head_object(Bucket=bucket, Key=key)
    return head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")


@pytest.mark.parametrize("kms_key, expected", [("", ("AES256", None)), (KMS_KEY, ("aws:kms", KMS_KEY))])
def test_every_kind_of_write_is_encrypted(s3_hook, layout, tmp_path, kms_key, expected):
    hook = encrypted_s3_hook(None, kms_key, region_name=REGION)
    script = tmp_path / "featurize.py"
    script.write_text("print('featurize')\n")
    written = [layout.input_list_uri, layout.validation_uri]
    for uri in written:  # s3io.write_bytes: input list, plan files, catalogue, reports, plots
        write_bytes(hook, uri, b"{}")
    write_pointer(hook, layout.latest_uri, {"run_uri": layout.run_uri}, None)
    artifact, uploaded = upload_artifact(hook, layout, script)
    assert uploaded
    for uri in [*written, layout.latest_uri, artifact]:
        assert encryption_of(hook, uri) == expected, uri


def test_a_plain_hook_adds_nothing(s3_hook, layout):
    assert put_args(s3_hook) == {}
    write_bytes(s3_hook, layout.input_list_uri, b"x")
    assert encryption_of(s3_hook, layout.input_list_uri) == (None, None)  # what the test above rules out
