"""What one DAG run left in the emulator: its reports and plots (downloaded), its cluster and steps.

Read through the S3 and EMR APIs only, so it describes the run exactly as a user of AWS would see
it. The run is the newest one under ``OUTPUT_PREFIX/runs/`` of the bucket (the folder with the most
recently written object); its cluster is the newest one logging into that bucket.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPORT_FILES = ("featurize_report.json", "pca_report.json", "validation.json")


@dataclass
class RunReport:
    """A finished run as seen from S3 and EMR; ``files`` maps a report name to its local copy."""

    run_uri: str | None
    reports: dict[str, dict] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    latest: dict | None = None
    cluster: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)


def collect_run(s3: Any, emr: Any, bucket: str, output_prefix: str, local_dir: Path) -> RunReport:
    """Download the run's reports, plots and ``latest.json`` to ``local_dir``; describe its cluster."""
    output_prefix = output_prefix.strip("/")
    run_prefix = _newest_run(s3, bucket, f"{output_prefix}/runs/")
    report = RunReport(f"s3://{bucket}/{run_prefix}" if run_prefix else None)
    local_dir.mkdir(parents=True, exist_ok=True)
    if run_prefix:
        _download_reports(s3, bucket, run_prefix, local_dir, report)
    latest = _download(s3, bucket, f"{output_prefix}/latest.json", local_dir / "latest.json")
    if latest:
        report.latest = json.loads(latest.read_text())
    _describe_cluster(emr, f"s3://{bucket}/", report)
    return report


def _newest_run(s3: Any, bucket: str, runs_prefix: str) -> str | None:
    """``runs/<run key>/`` of the run that wrote the newest object, or None when there is no run."""
    newest: dict[str, Any] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=runs_prefix):
        for obj in page.get("Contents", []):
            run = runs_prefix + obj["Key"][len(runs_prefix):].split("/", 1)[0] + "/"
            newest[run] = max(newest.get(run, obj["LastModified"]), obj["LastModified"])
    return max(newest, key=newest.get) if newest else None


def _download_reports(s3: Any, bucket: str, run_prefix: str, local_dir: Path, report: RunReport) -> None:
    for name in REPORT_FILES:
        path = _download(s3, bucket, run_prefix + name, local_dir / name)
        if path:
            report.files[name] = path
            report.reports[name] = json.loads(path.read_text())
    plots = s3.list_objects_v2(Bucket=bucket, Prefix=run_prefix + "plots/").get("Contents", [])
    for obj in plots:
        name = obj["Key"][len(run_prefix):]
        report.files[name] = _download(s3, bucket, obj["Key"], local_dir / name)


def _download(s3: Any, bucket: str, key: str, target: Path) -> Path | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return target


def _describe_cluster(emr: Any, log_bucket_uri: str, report: RunReport) -> None:
    clusters = emr.list_clusters()["Clusters"]
    for summary in sorted(clusters, key=lambda c: c["Status"]["Timeline"]["CreationDateTime"], reverse=True):
        cluster = emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]
        if (cluster.get("LogUri") or "").startswith(log_bucket_uri):
            report.cluster = {"id": cluster["Id"], "name": cluster["Name"],
                              "state": cluster["Status"]["State"],
                              "reason": cluster["Status"].get("StateChangeReason", {}),
                              "security": _security_summary(emr, cluster.get("SecurityConfiguration"))}
            steps = emr.list_steps(ClusterId=cluster["Id"])["Steps"]
            report.steps = [{"id": s["Id"], "name": s["Name"], "state": s["Status"]["State"],
                             "failure": s["Status"].get("FailureDetails")} for s in reversed(steps)]
            return


def _security_summary(emr: Any, name: str | None) -> str:
    """The cluster's security configuration in one line: name, encryption at rest and in transit, IMDS."""
    if not name:
        return "none"
    document = json.loads(emr.describe_security_configuration(Name=name)["SecurityConfiguration"])
    encryption = document.get("EncryptionConfiguration", {})
    at_rest = encryption.get("AtRestEncryptionConfiguration", {})
    parts = [f"S3 {at_rest.get('S3EncryptionConfiguration', {}).get('EncryptionMode', 'off')}",
             f"local disks {'KMS' if 'LocalDiskEncryptionConfiguration' in at_rest else 'off'}",
             f"in transit {'TLS' if encryption.get('EnableInTransitEncryption') else 'off'}"]
    imds = document.get("InstanceMetadataServiceConfiguration", {})
    parts.append(f"IMDSv{imds.get('MinimumInstanceMetadataServiceVersion', 1)}+")
    return f"{name} ({', '.join(parts)})"
