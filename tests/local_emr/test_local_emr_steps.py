"""Steps really run with the local spark-submit: outputs, logs, failures and ActionOnFailure."""
from __future__ import annotations

import io
import zipfile

from emr_test_helpers import cluster_status, read_gzip_object, read_tree, spark_step, wait_for_step

LINES_JOB = """
import sys
from pyspark.sql import SparkSession, functions as F
from textops import shout

spark = SparkSession.builder.getOrCreate()
lines = spark.read.text(sys.argv[1]).withColumn("path", F.input_file_name())
rows = sorted(f"{r.path}\\t{shout(r.value)}" for r in lines.collect())
frame = spark.createDataFrame([(r,) for r in rows], "line string")
frame.coalesce(1).write.mode("overwrite").text(sys.argv[2])
print("LINES-WRITTEN", len(rows))
"""
FAILING_JOB = 'raise ValueError("no such fruit: durian")\n'


def _textops_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("textops/__init__.py", "def shout(text):\n    return text.upper() + '!'\n")
    return buffer.getvalue()


def test_step_runs_spark_on_s3_inputs_and_its_outputs_and_logs_land_in_s3(
        s3, emr, bucket, put_script, start_cluster):
    s3.put_object(Bucket=bucket, Key="in/a.txt", Body=b"apple\npear\n")
    s3.put_object(Bucket=bucket, Key="in/b.txt", Body=b"kiwi\n")
    s3.put_object(Bucket=bucket, Key="input-elsewhere/c.txt", Body=b"not mine\n")
    s3.put_object(Bucket=bucket, Key="out/part-from-an-earlier-run.txt", Body=b"stale\n")
    s3.put_object(Bucket=bucket, Key="code/textops.zip", Body=_textops_zip())
    script = put_script("lines.py", LINES_JOB)
    cluster_id = start_cluster()

    step_id = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[spark_step(
        "lines", "--deploy-mode", "cluster", "--py-files", f"s3://{bucket}/code/textops.zip",
        script, f"s3://{bucket}/in", f"s3://{bucket}/out")])["StepIds"][0]
    step = wait_for_step(emr, cluster_id, step_id)

    assert step["Status"]["State"] == "COMPLETED", step["Status"]
    outputs = read_tree(s3, bucket, "out/")
    parts = [body for key, body in outputs.items() if key.split("/")[-1].startswith("part-")]
    assert len(parts) == 1, sorted(outputs)  # the earlier run's part was removed by "overwrite"
    assert parts[0].decode().splitlines() == [
        f"s3://{bucket}/in/a.txt\tAPPLE!", f"s3://{bucket}/in/a.txt\tPEAR!",
        f"s3://{bucket}/in/b.txt\tKIWI!"]
    assert "out/_SUCCESS" in outputs and not any(k.endswith(".crc") for k in outputs)
    log_prefix = f"s3://{bucket}/logs/{cluster_id}/steps/{step_id}/"
    assert "LINES-WRITTEN 3" in read_gzip_object(s3, log_prefix + "stdout.gz")
    assert "--deploy-mode cluster" in read_gzip_object(s3, log_prefix + "controller.gz")
    assert cluster_status(emr, cluster_id)["State"] == "WAITING"


def test_failed_step_reports_why_and_cancel_and_wait_cancels_the_rest(
        s3, emr, put_script, start_cluster):
    script = put_script("fails.py", FAILING_JOB)
    cluster_id = start_cluster()
    failing, skipped = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[
        spark_step("fails", script, action_on_failure="CANCEL_AND_WAIT"),
        spark_step("never runs", script),
    ])["StepIds"]

    step = wait_for_step(emr, cluster_id, failing)

    assert step["Status"]["State"] == "FAILED"
    details = step["Status"]["FailureDetails"]
    assert details["Reason"] == "ValueError: no such fruit: durian"
    assert details["LogFile"].endswith(f"/{cluster_id}/steps/{failing}/stdout.gz")
    assert "no such fruit: durian" in read_gzip_object(s3, details["LogFile"])
    assert wait_for_step(emr, cluster_id, skipped)["Status"]["State"] == "CANCELLED"
    assert cluster_status(emr, cluster_id)["State"] == "WAITING"


def test_failed_step_with_terminate_cluster_ends_the_cluster_with_errors(
        emr, put_script, start_cluster):
    script = put_script("fails.py", FAILING_JOB)
    cluster_id = start_cluster()
    failing, skipped = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[
        spark_step("fails", script, action_on_failure="TERMINATE_CLUSTER"),
        spark_step("never runs", script),
    ])["StepIds"]

    assert wait_for_step(emr, cluster_id, failing)["Status"]["State"] == "FAILED"
    assert wait_for_step(emr, cluster_id, skipped)["Status"]["State"] == "CANCELLED"
    status = cluster_status(emr, cluster_id)
    assert status["State"] == "TERMINATED_WITH_ERRORS"
    assert status["StateChangeReason"]["Code"] == "STEP_FAILURE"
