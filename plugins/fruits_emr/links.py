"""The "Run reports and plots" extra link on the validate and publish tasks: the run's folder, one click away.

On AWS it opens the S3 console at ``runs/<run key>/`` (validation.json, the reports, plots/). Where the
deployment setting ``FRUITS_EMR_S3_BROWSER_URL`` is set (``make airflow-ui`` serves the emulator's
buckets there) it opens that server instead. Airflow 3 shows a link from an XCom that the task
instance writes when it finishes (``get_link`` runs on the worker); the task stores the URL first with
``persist``, so the link is there even when validation fails.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

from fruits_emr.layout import RunLayout, folder_prefix, split_s3_uri

# The S3 console's own address of a folder (what its address bar shows when one browses to the folder):
# bucket in the path, region and key prefix as query parameters. The console is not an API, so AWS
# documents no format; if it changes, the link opens the bucket's root and the run is unaffected.
S3_CONSOLE_FOLDER = "https://s3.console.aws.amazon.com/s3/buckets/{bucket}?region={region}&prefix={prefix}"


def run_folder_url(layout: RunLayout, region: str, s3_browser_url: str | None) -> str:
    """Where a person looks at the run's outputs: the S3 console, or the local S3 browser when set."""
    bucket, key = split_s3_uri(layout.run_uri)
    prefix = folder_prefix(key)
    if s3_browser_url:
        return f"{s3_browser_url.rstrip('/')}/{bucket}/{quote(prefix)}"
    return S3_CONSOLE_FOLDER.format(bucket=bucket, region=region, prefix=quote(prefix, safe=""))


class RunFolderLink(BaseOperatorLink):
    """Opens the run's folder of reports and plots (see ``run_folder_url``)."""

    name = "Run reports and plots"
    xcom_key = "run_folder_url"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        return XCom.get_value(key=self.xcom_key, ti_key=ti_key) or ""

    @classmethod
    def persist(cls, context: Any, url: str) -> None:
        """Store the link of the running task instance (call it from the task's body)."""
        context["ti"].xcom_push(key=cls.xcom_key, value=url)
