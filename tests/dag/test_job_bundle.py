"""The job bundle (`make dist`): what it holds, and an Airflow deployment uploading from it alone.

The deployment test copies only plugins/ and the bundle out of the repository, as MWAA or Astronomer
would ship them, and uploads the artifacts from there in a child process against moto S3: the
repository's spark_jobs/ and bootstrap/ are out of reach, and the files uploaded are the very bytes
(hence the very S3 keys) a run from the repository tree uploads.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from fruits_emr.artifacts import upload_artifacts
from fruits_emr.job_bundle import BUNDLE_FILES, build_bundle, bundle_files
from fruits_emr.layout import RunLayout
from local_emr.paths import REPO_ROOT
from tests.dag.dag_test_env import BUCKET

LAYOUT = RunLayout(bucket=BUCKET, output_prefix="out", run_key="run-1")
_UPLOAD_FROM_DEPLOYMENT = f"""
import importlib.util, json
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
import fruits_emr
from fruits_emr.artifacts import upload_artifacts
from fruits_emr.layout import RunLayout

layout = RunLayout(bucket={BUCKET!r}, output_prefix="out", run_key="run-1")
artifacts = upload_artifacts(S3Hook(aws_conn_id="aws_default"), layout, "imagenet")
print(json.dumps({{"artifacts": artifacts.to_dict(), "fruits_emr": fruits_emr.__file__,
                  "fruits_spark_importable": importlib.util.find_spec("fruits_spark") is not None}}))
"""


def test_bundle_holds_the_repositorys_job_files(tmp_path):
    files = build_bundle(tmp_path / "bundle")
    assert sorted(p.name for p in (tmp_path / "bundle").iterdir()) == sorted(BUNDLE_FILES.values())
    assert files["pca"].read_bytes() == (REPO_ROOT / "spark_jobs" / "pca.py").read_bytes()
    assert files["bootstrap"].read_bytes() == (REPO_ROOT / "bootstrap" / "install-deps.sh").read_bytes()


def test_deployment_without_the_repository_uploads_from_the_bundle(s3_hook, tmp_path):
    deployment = tmp_path / "deployment"
    shutil.copytree(REPO_ROOT / "plugins", deployment / "plugins",
                    ignore=shutil.ignore_patterns("__pycache__"))
    build_bundle(deployment / "job_bundle")
    env = {**os.environ, "PYTHONPATH": str(deployment / "plugins"),
           "FRUITS_EMR_JOB_BUNDLE": str(deployment / "job_bundle")}

    child = subprocess.run([sys.executable, "-c", _UPLOAD_FROM_DEPLOYMENT], cwd=deployment, env=env,
                           capture_output=True, text=True, timeout=300)

    assert child.returncode == 0, child.stderr[-3000:]
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["fruits_emr"].startswith(str(deployment)) and not result["fruits_spark_importable"]
    from_repository = upload_artifacts(s3_hook, LAYOUT, "imagenet", job_bundle="")
    assert result["artifacts"] == {**from_repository.to_dict(), "uploaded": list(BUNDLE_FILES)}
    assert from_repository.uploaded == ()  # same bytes, same keys: nothing new to upload


def test_incomplete_bundle_names_what_it_lacks(tmp_path):
    (tmp_path / "pca.py").write_text("print('pca')\n")
    with pytest.raises(FileNotFoundError, match=r"lacks install-deps.sh, requirements-emr.txt, featurize.py, "
                                                r"fruits_spark.zip \(build it with `make dist`\)"):
        bundle_files(tmp_path)
