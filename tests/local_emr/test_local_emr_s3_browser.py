"""The launcher's read-only view of the emulator's buckets (where the "Run reports and plots" links lead),
and fake credentials that Airflow's secret masker cannot confuse with ordinary words."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from local_emr.s3_browser import serving_s3_browser
from local_emr.server import FAKE_CREDENTIALS
from local_emr.standalone import admin_password


def fetch(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.headers["Content-Type"], answer.read()


def test_folders_list_their_files_and_files_open(s3, bucket):
    run = "out/runs/manual-1/"
    s3.put_object(Bucket=bucket, Key=run + "validation.json", Body=b'{"passed": true}')
    s3.put_object(Bucket=bucket, Key=run + "plots/pca_scatter.png", Body=b"\x89PNG fake")
    with serving_s3_browser(s3) as base:
        content_type, page = fetch(f"{base}/{bucket}/{run}")
        assert content_type.startswith("text/html")
        assert f'href="/{bucket}/{run}validation.json"' in page.decode()
        assert f'href="/{bucket}/{run}plots/"' in page.decode()
        assert fetch(f"{base}/{bucket}/{run}validation.json") == (
            "application/json; charset=utf-8", b'{"passed": true}')
        assert fetch(f"{base}/{bucket}/{run}plots/pca_scatter.png")[0] == "image/png"
        with pytest.raises(urllib.error.HTTPError) as missing:
            fetch(f"{base}/{bucket}/out/latest.json")
        assert missing.value.code == 404


def test_fake_credentials_mask_no_ordinary_log_text():
    from airflow.sdk._shared.secrets_masker import redact
    from airflow.sdk.log import mask_secret

    line = "emulator on http://localhost:5000, workdir /repo/.local/airflow-ui-emr, key local"
    for value in FAKE_CREDENTIALS.values():
        mask_secret(value)
    assert redact(line) == line
    assert FAKE_CREDENTIALS["aws_secret_access_key"] not in redact(
        f"secret {FAKE_CREDENTIALS['aws_secret_access_key']}")


def test_admin_password_is_created_once_and_kept(tmp_path):
    password, path = admin_password(tmp_path)
    assert json.loads(path.read_text()) == {"admin": password} and len(password) >= 12
    assert admin_password(tmp_path) == (password, path)
