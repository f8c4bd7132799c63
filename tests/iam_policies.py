"""Check docs/iam/ policies against the AWS calls the pipeline really makes.

``recorded_calls`` records every botocore API call made in this process (service, operation, params);
``request_of`` turns one into the IAM action, resource ARN and condition context it is authorised
against (Service Authorization Reference: S3's HeadObject needs s3:GetObject, ListObjectsV2
s3:ListBucket with the ``s3:prefix`` key, DeleteObjects s3:DeleteObject per key, RunJobFlow
iam:PassRole on both roles); ``allows`` evaluates a policy with IAM's wildcard semantics (``*`` any
run of characters, ``?`` one; actions case-insensitive) and the ``StringEquals``/``StringLike``
operators (every key must match one of its values).
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from local_emr.paths import REPO_ROOT

IAM_DIR = REPO_ROOT / "docs" / "iam"
ACCOUNT_ID = "123456789012"  # moto's account


@dataclass(frozen=True)
class Call:
    service: str  # botocore's endpoint prefix: s3, elasticmapreduce
    operation: str
    params: dict


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)


@contextmanager
def recorded_calls(monkeypatch):
    """Every API call any botocore client of this process makes inside the block."""
    from botocore.client import BaseClient

    calls: list[Call] = []
    real = BaseClient._make_api_call

    def record(client, operation_name, api_params):
        calls.append(Call(client.meta.service_model.endpoint_prefix, operation_name, dict(api_params)))
        return real(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    yield calls
    monkeypatch.setattr(BaseClient, "_make_api_call", real)


def load_policy(name: str, values: dict[str, str]) -> dict:
    """A docs/iam policy with its ``{{PLACEHOLDERS}}`` filled in (all must be given)."""
    text = (IAM_DIR / name).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.findall(r"\{\{\w+\}\}", text)
    assert not left, f"{name}: no value for {left}"
    return json.loads(text)


_S3_ACTIONS = {"HeadObject": "GetObject", "GetObject": "GetObject", "PutObject": "PutObject",
               "DeleteObject": "DeleteObject", "CreateMultipartUpload": "PutObject",
               "UploadPart": "PutObject", "CompleteMultipartUpload": "PutObject",
               "AbortMultipartUpload": "AbortMultipartUpload"}
_S3_BUCKET_ACTIONS = {"ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "HeadBucket": "ListBucket",
                      "GetBucketLocation": "GetBucketLocation"}
_EMR_UNSCOPED = {"ListClusters", "DescribeSecurityConfiguration", "CreateSecurityConfiguration"}


def request_of(call: Call, region: str, cluster_tags: dict[str, dict[str, str]]) -> list[Request]:
    """The IAM requests one API call is authorised as; ``cluster_tags`` maps cluster id -> its tags."""
    params = call.params
    if call.service == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if call.operation in _S3_BUCKET_ACTIONS:
            context = {"s3:prefix": params.get("Prefix", "")} if call.operation.startswith("List") else {}
            return [Request(f"s3:{_S3_BUCKET_ACTIONS[call.operation]}", bucket, context)]
        if call.operation == "DeleteObjects":
            return [Request("s3:DeleteObject", f"{bucket}/{o['Key']}") for o in params["Delete"]["Objects"]]
        if call.operation == "CopyObject":
            source = params["CopySource"]
            source = f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else source
            return [Request("s3:GetObject", f"arn:aws:s3:::{source}"),
                    Request("s3:PutObject", f"{bucket}/{params['Key']}")]
        return [Request(f"s3:{_S3_ACTIONS[call.operation]}", f"{bucket}/{params['Key']}")]
    assert call.service == "elasticmapreduce", call
    action = f"elasticmapreduce:{call.operation}"
    cluster_arn = f"arn:aws:elasticmapreduce:{region}:{ACCOUNT_ID}:cluster/"
    if call.operation in _EMR_UNSCOPED:
        return [Request(action, "*")]
    if call.operation == "RunJobFlow":
        tags = {f"aws:RequestTag/{t['Key']}": t["Value"] for t in params.get("Tags", [])}
        return [Request(action, cluster_arn + "*", tags),
                *(Request("iam:PassRole", f"arn:aws:iam::{ACCOUNT_ID}:role/{params[role]}")
                  for role in ("ServiceRole", "JobFlowRole"))]
    ids = params.get("JobFlowIds") or [params.get("ClusterId") or params["JobFlowId"]]
    return [Request(action, cluster_arn + cluster_id,
                    {f"elasticmapreduce:ResourceTag/{k}": v for k, v in cluster_tags[cluster_id].items()})
            for cluster_id in ids]


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _conditions_hold(conditions: dict, context: dict[str, str]) -> bool:
    for operator, keys in conditions.items():
        for key, wanted in keys.items():
            if key not in context:
                return False
            match = {"StringEquals": lambda w, v: w == v, "StringLike": _wildcard}[operator]
            if not any(match(w, context[key]) for w in _as_list(wanted)):
                return False
    return True


def allows(policy: dict, request: Request) -> bool:
    """Whether an Allow statement of ``policy`` matches the action, the resource and its conditions."""
    return any(
        statement["Effect"] == "Allow"
        and any(_wildcard(a, request.action, ignore_case=True) for a in _as_list(statement["Action"]))
        and any(_wildcard(r, request.resource) for r in _as_list(statement["Resource"]))
        and _conditions_hold(statement.get("Condition", {}), request.context)
        for statement in policy["Statement"]
    )


def uncovered(policy: dict, requests: list[Request]) -> list[Request]:
    return [request for request in requests if not allows(policy, request)]


def policy_files() -> list[Path]:
    return sorted(IAM_DIR.glob("*.json"))
