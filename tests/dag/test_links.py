"""The "Run reports and plots" link: the S3 console on AWS, the launcher's S3 browser locally."""
from __future__ import annotations

from fruits_emr.layout import RunLayout
from fruits_emr.links import RunFolderLink, run_folder_url

LAYOUT = RunLayout(bucket="fruits-bucket", output_prefix="fruits/features",
                   run_key="manual__2026-11-30T16-33-45.101165-00-00")


def test_on_aws_the_link_opens_the_s3_console_at_the_run_folder():
    assert run_folder_url(LAYOUT, "eu-west-3", None) == (
        "https://console.aws.amazon.com/s3/buckets/fruits-bucket?region=eu-west-3"
        "&prefix=fruits%2Ffeatures%2Fruns%2Fmanual__2026-11-30T16-33-45.101165-00-00%2F")


def test_with_a_browser_url_the_link_opens_it_instead():
    assert run_folder_url(LAYOUT, "eu-west-3", "http://127.0.0.1:4567/") == (
        "http://127.0.0.1:4567/fruits-bucket/fruits/features/runs/manual__2026-11-30T16-33-45.101165-00-00/")


def test_validate_and_publish_carry_the_link(dag):
    for task_id in ("validate", "publish"):
        links = dag.get_task(task_id).operator_extra_links
        assert [type(link) for link in links] == [RunFolderLink], task_id
