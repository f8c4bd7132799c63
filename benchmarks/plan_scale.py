"""How the Airflow side of a run scales with the snapshot: planning against a catalogue of N entries.

    python -m benchmarks.plan_scale [--entries 1000000]

Builds a published catalogue of N featurized images in 30 partitions and a listing with 10,000 new
objects, then times ``plan_snapshot`` (the pure diff the plan task runs), writing the plan catalogue
as zstd Parquet and reading it back (what the next night's plan and the validate task do). S3 I/O is
left out: the listing is the provider's paginated ListObjectsV2, 1,000 keys a request. Results go to
``plan_scale`` in benchmarks/results.json.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from fruits_emr.catalogue import FEATURIZED, Entry, from_table, to_table
from fruits_emr.incremental import InputObject, Partition, plan_snapshot

RESULTS_JSON = Path(__file__).resolve().parent / "results.json"
INPUT = "s3://bucket/fruits/images/"
PARTITIONS, NEW = 30, 10_000


def measure(entries: int) -> dict:
    objects = [
        InputObject(f"{INPUT}class{i % 15}/{i:08d}_100.jpg", f"{i:032x}", 5000) for i in range(entries)
    ]
    published = {o.path: Entry(o.path, o.etag, o.size, FEATURIZED, f"run{i % PARTITIONS}")
                 for i, o in enumerate(objects[:-NEW])}
    partitions = [Partition(f"run{j}", (f"s3://bucket/fruits/features/runs/run{j}/features",), "stats", 1)
                  for j in range(PARTITIONS)]
    started = time.perf_counter()
    plan = plan_snapshot(
        objects, published, partitions, "tonight", INPUT, max_images=20_000, max_bytes=50 << 20
    )
    plan_s = time.perf_counter() - started
    started = time.perf_counter()
    sink = io.BytesIO()
    pq.write_table(to_table(plan.entries.values()), sink, compression="zstd")
    write_s = time.perf_counter() - started
    started = time.perf_counter()
    read_back = from_table(pq.read_table(io.BytesIO(sink.getvalue())))
    read_s = time.perf_counter() - started
    assert len(read_back) == entries and plan.counts()["selected"] == NEW
    return {
        "entries": entries,
        "new": NEW,
        "plan_s": round(plan_s, 1),
        "catalogue_write_s": round(write_s, 1),
        "catalogue_read_s": round(read_s, 1),
        "catalogue_bytes": len(sink.getvalue()),
        "note": "one process on this shared 2-vCPU machine; S3 I/O excluded",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plan_scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    measured = measure(parser.parse_args(argv).entries)
    print(json.dumps(measured, indent=2))
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results["plan_scale"] = measured
    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
