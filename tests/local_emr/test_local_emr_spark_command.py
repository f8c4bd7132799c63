"""Parsing EMR spark-submit steps into local command lines (no Spark needed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from local_emr.spark_command import UnsupportedStep, parse_step


def _local(uri: str) -> Path:
    return Path("/mirror") / uri.removeprefix("s3://")


def test_cluster_options_are_dropped_and_resources_localised():
    command = parse_step("command-runner.jar", [
        "spark-submit", "--deploy-mode", "cluster", "--master", "yarn", "--num-executors", "4",
        "--conf", "spark.sql.shuffle.partitions=8",
        "--py-files", "s3://b/code/lib.zip,s3://b/code/extra.py",
        "s3://b/code/job.py", "--input", "s3://b/images/", "--k", "50",
    ])
    assert command.dropped == ("--deploy-mode", "cluster", "--master", "yarn", "--num-executors", "4")
    line = command.local_command(Path("/venv/bin/spark-submit"), _local, {"spark.x": "1"})
    assert line == [
        "/venv/bin/spark-submit", "--master", "local[*]", "--conf", "spark.x=1",
        "--conf", "spark.sql.shuffle.partitions=8",
        "--py-files", "/mirror/b/code/lib.zip,/mirror/b/code/extra.py",
        "/mirror/b/code/job.py", "--input", "s3://b/images/", "--k", "50",
    ]


def test_every_s3_uri_is_found_once_including_comma_lists():
    command = parse_step("command-runner.jar", [
        "spark-submit", "--py-files", "s3://b/a.zip,s3://b/c.zip", "--verbose", "s3://b/job.py",
        "--input", "s3://b/in/", "--again", "s3://b/in/", "--inline=s3://o/x.txt",
    ])
    assert command.s3_uris() == ["s3://b/a.zip", "s3://b/c.zip", "s3://b/job.py", "s3://b/in/",
                                 "s3://o/x.txt"]


@pytest.mark.parametrize("jar, args, message", [
    ("s3://b/custom.jar", ["spark-submit", "job.py"], "command-runner.jar"),
    ("command-runner.jar", ["hadoop", "fs", "-ls"], "spark-submit"),
    ("command-runner.jar", [], "spark-submit"),
    ("command-runner.jar", ["spark-submit", "--deploy-mode", "cluster"], "no application"),
    ("command-runner.jar", ["spark-submit", "--py-files"], "has no value"),
])
def test_steps_the_emulator_cannot_run_are_refused_with_a_reason(jar, args, message):
    with pytest.raises(UnsupportedStep, match=message):
        parse_step(jar, args)
