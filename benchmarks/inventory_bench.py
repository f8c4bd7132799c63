"""Planning and reading a large input list: ``inventory_100k_s``, and the plan task's S3 listing.

Job side: ``files`` tiny files (1 byte each) in 100 class folders plus the input list naming them all, as
the plan task writes it; timed are ``fruits_spark.inventory.take_inventory`` (what the job does before
reading any image) and the read of every file's bytes by the job's own ``read_contents`` with the job's
read settings (the bytes are summed, not decoded). ``inventory_100k_s`` is the two together, scaled
linearly to 100,000 files when ``files`` is smaller (the result says so).

Plan side: ``keys`` objects are put straight into the emulator's in-process S3 backend (uploading them
through HTTP would take minutes), then the plan task's ``list_input_objects`` lists them through the
provider's ``S3Hook`` and the emulator's HTTP endpoint, as it lists S3 on AWS.
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from pathlib import Path

from pyspark.sql import SparkSession, functions as F

from benchmarks.timing import stopwatch
from fruits_spark.featurize_job import read_contents, read_settings
from fruits_spark.inventory import take_inventory
from fruits_spark.session import temporary_conf

TARGET_FILES = 100_000
CLASSES = 100
CONNECTION_ID = "fruits_listing_bench"  # an Airflow connection to the emulator, set for the run


def measure_inventory(spark: SparkSession, files: int, workdir: Path, batch_size: int) -> dict:
    """Seconds to inventory and read ``files`` listed files, and their sum scaled to 100,000 files."""
    root = workdir / "inventory_input"
    uris = []
    for i in range(files):
        path = root / f"class_{i % CLASSES:03d}" / f"{i:07d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        uris.append(path.as_uri())
    input_list = workdir / "inventory_input_list.txt"
    input_list.write_text("".join(f"{uri}\n" for uri in uris))
    elapsed = stopwatch()
    inventory = take_inventory(spark, str(root), str(input_list))
    inventory_s = elapsed()
    if len(inventory.images) != files:
        raise RuntimeError(f"the inventory handed {len(inventory.images)} of {files} files to Spark")
    elapsed = stopwatch()
    with temporary_conf(spark, read_settings(spark, batch_size)):
        read = read_contents(spark, inventory).agg(F.count("*"), F.sum(F.length("content"))).first()
    read_s = elapsed()
    if tuple(read) != (files, files):
        raise RuntimeError(f"read {tuple(read)} (files, bytes), expected {files} of each")
    total = inventory_s + read_s
    return {"files": files, "inventory_s": round(inventory_s, 2), "read_s": round(read_s, 2),
            "files_per_s": round(files / total, 1),
            "inventory_100k_s": round(total * TARGET_FILES / files, 1),
            "scaled_from_fewer_files": files < TARGET_FILES}


def measure_s3_listing(keys: int, workdir: Path) -> dict:
    """Seconds for the plan task's listing of ``keys`` objects through the S3Hook and the emulator.

    Runs in a child process: the emulator patches moto's EMR models process-wide and the listing sets an
    Airflow connection, neither of which may leak into the caller (the test suite runs this in-process).
    """
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
        return child.submit(_list_with_the_plan_task, keys, workdir).result()


def _list_with_the_plan_task(keys: int, workdir: Path) -> dict:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from moto.s3.models import s3_backends

    from fruits_emr.incremental import list_input_objects
    from local_emr.server import ensure_bucket, running_emulator

    bucket = "fruits-listing-bench"
    with running_emulator(workdir, log=lambda _: None) as emulator:
        ensure_bucket(emulator.client("s3"), bucket)
        backend = next(iter(s3_backends.values()))["global"]
        for i in range(keys):
            backend.put_object(bucket, f"images/class_{i % CLASSES:03d}/{i:07d}.jpg", b"x")
        os.environ[f"AIRFLOW_CONN_{CONNECTION_ID.upper()}"] = emulator.airflow_connection()
        hook = S3Hook(aws_conn_id=CONNECTION_ID)
        elapsed = stopwatch()
        objects = list_input_objects(hook, f"s3://{bucket}/images/")
        seconds = elapsed()
    if len(objects) != keys:
        raise RuntimeError(f"listed {len(objects)} of {keys} objects")
    return {"keys": keys, "seconds": round(seconds, 2), "keys_per_s": round(keys / seconds, 1)}
