"""Server-side encryption of every object the Airflow side writes: one S3Hook factory carries it.

The tasks build their S3Hook with ``encrypted_s3_hook``: its ``extra_args`` hold the encryption
arguments, which the provider's ``load_bytes``/``load_file`` pass to every upload (``ExtraArgs``), so
the input list, plan files, catalogue, reports and plots are written encrypted by ``s3io.write_bytes``
without each caller knowing; the writes that go through the hook's client (the pointer's conditional
PUT, the artefacts' checksummed PUT) add ``put_args``. SSE-S3 (``AES256``) by default, SSE-KMS
(``aws:kms`` + ``SSEKMSKeyId``) when ``FRUITS_EMR_KMS_KEY`` is set. Source: Amazon S3 API Reference,
PutObject, request headers ``x-amz-server-side-encryption`` (``AES256 | aws:kms | aws:kms:dsse``) and
``x-amz-server-side-encryption-aws-kms-key-id``
(docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
_SSE_ARGS = ("ServerSideEncryption", "SSEKMSKeyId")


def sse_args(kms_key: str) -> dict[str, str]:
    """The PutObject arguments that encrypt an object: SSE-KMS with ``kms_key``, else SSE-S3."""
    if kms_key:
        return {"ServerSideEncryption": SSE_KMS, "SSEKMSKeyId": kms_key}
    return {"ServerSideEncryption": SSE_S3}


def encrypted_s3_hook(aws_conn_id: str | None, kms_key: str, **hook_kwargs: Any) -> S3Hook:
    """The provider's S3Hook whose uploads are all server-side encrypted."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id, extra_args=sse_args(kms_key), **hook_kwargs)


def put_args(s3_hook: S3Hook) -> dict[str, str]:
    """The encryption arguments of ``s3_hook`` for a PutObject through its client (none on a plain hook)."""
    return {name: value for name, value in s3_hook.extra_args.items() if name in _SSE_ARGS}
