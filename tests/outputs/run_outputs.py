"""Small run outputs (plan, reports + Parquet) in the formats of docs/ARCHITECTURE.md, for the output tests.

The PCA outputs are computed, not invented: class-clustered 1280-d features are reduced with a real
SVD, so the explained variance in the report is what the vectors actually carry. A run is a first run
(every input ``pending`` in its plan catalogue, one feature partition: its own). Tests corrupt a
``RunOutputs`` field, then upload it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from fruits_emr import catalogue
from fruits_emr.catalogue import PENDING, Entry
from fruits_emr.layout import RunLayout, run_key
from fruits_emr.s3io import write_bytes
from fruits_spark.mobilenet import FEATURE_DIM

REGION = "eu-west-3"
BUCKET = "fruits-emr-test"
OUTPUT_PREFIX = "out"
INPUT_PREFIX = "images"
RUN_ID = "scheduled__2026-11-24T02:00:00+00:00"
CLASSES = ("apple", "banana", "kiwi")
K = 4


def make_layout(run_id: str = RUN_ID) -> RunLayout:
    return RunLayout(BUCKET, OUTPUT_PREFIX, run_key(run_id))


def input_uris(names: list[str], prefix: str = INPUT_PREFIX) -> list[str]:
    return [f"s3://{BUCKET}/{prefix}/{name}" for name in names]


def put_inputs(s3_hook, names: list[str], prefix: str = INPUT_PREFIX) -> list[str]:
    """Upload small objects under the input prefix; returns their ``s3://`` URIs."""
    for name in names:
        s3_hook.load_bytes(b"\xff\xd8 not decoded here", key=f"{prefix}/{name}", bucket_name=BUCKET)
    return input_uris(names, prefix)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue().to_pybytes()


@dataclass
class RunOutputs:
    """One run's outputs as the Spark steps write them; tests corrupt fields, then ``upload``."""

    inputs: list[str]
    pca: list[dict]  # path, label, pca (k floats)
    quarantine: list[dict]  # path, reason, detail
    features: list[dict]  # path, label, features (1280 floats), weights_sha256
    featurize_report: dict
    pca_report: dict
    skip: set[str] = field(default_factory=set)  # outputs not to upload ("pca", "pca_report", ...)

    def upload(self, s3_hook, layout: RunLayout) -> None:
        write_bytes(s3_hook, layout.input_list_uri, "".join(f"{u}\n" for u in self.inputs).encode())
        plan = [Entry(uri, f"etag-{i}", 10, PENDING) for i, uri in enumerate(self.inputs)]
        catalogue.write_catalogue(s3_hook, layout.plan_catalogue_uri, plan)
        write_bytes(s3_hook, layout.snapshot_plan_uri, json.dumps(
            {"version": 1, "run_key": layout.run_key, "based_on": None, "base_pointer_etag": None}).encode())
        self.pca_report.setdefault("partitions", [
            {"run_key": layout.run_key, "dirs": [layout.features_uri], "rows": len(self.pca),
             "stats_uri": layout.partition_stats_uri, "statistics": "computed"}])
        for name, uri, report in (("featurize_report", layout.featurize_report_uri, self.featurize_report),
                                  ("pca_report", layout.pca_report_uri, self.pca_report)):
            if name not in self.skip:
                write_bytes(s3_hook, uri, json.dumps(report).encode())
        datasets = (
            ("features", layout.features_uri, self.features, {"features": pa.list_(pa.float32())}),
            ("quarantine", layout.quarantine_uri, self.quarantine, {}),
            ("pca", layout.pca_uri, self.pca, {"pca": pa.list_(pa.float32())}),
        )
        empty_columns = {"features": ["path"], "quarantine": ["path", "reason", "detail"], "pca": ["path"]}
        for name, uri, rows, vector_types in datasets:
            if name in self.skip:
                continue
            columns = {key: [row[key] for row in rows] for key in rows[0]} if rows else \
                {key: [] for key in empty_columns[name]}
            schema = pa.schema([(key, vector_types.get(key, pa.string())) for key in columns])
            half = len(rows) // 2  # two part files, as Spark writes them, plus its _SUCCESS marker
            for part, chunk in enumerate((rows[:half], rows[half:])):
                table = pa.table({key: [row[key] for row in chunk] for key in columns}, schema=schema)
                write_bytes(s3_hook, f"{uri}/part-0000{part}-test.c000.snappy.parquet", _parquet_bytes(table))
            write_bytes(s3_hook, f"{uri}/_SUCCESS", b"")


def consistent_run(n_images: int = 30, n_quarantined: int = 3, k: int = K,
                   first_index: int = 0) -> RunOutputs:
    """A run whose outputs agree with each other (validation reads the input list, not the images).

    Input names are numbered from ``first_index``, so two runs can process disjoint images.
    """
    rng = np.random.default_rng(first_index)
    numbers = range(first_index, first_index + n_images)
    names = [f"{CLASSES[i % len(CLASSES)]}/{i:04d}_100.jpg" for i in numbers[n_quarantined:]]
    names += [f"broken/{i}.txt" for i in numbers[:n_quarantined]]
    inputs = input_uris(names)
    good = inputs[: n_images - n_quarantined]
    labels = [uri.split("/")[-2] for uri in good]
    centroids = {c: rng.normal(size=FEATURE_DIM) for c in CLASSES}
    features = np.stack([centroids[label] + rng.normal(scale=0.3, size=FEATURE_DIM) for label in labels])
    centred = features - features.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    explained = (singular**2 / (singular**2).sum())[:k]
    projected = (centred @ components[:k].T).astype(np.float32)
    sha = "d1a8dbb4" * 8
    return RunOutputs(
        inputs=inputs,
        pca=[{"path": p, "label": lab, "pca": v.tolist()} for p, lab, v in zip(good, labels, projected)],
        quarantine=[{"path": p, "reason": "not_an_image", "detail": "cannot identify image file"}
                    for p in inputs[len(good):]],
        features=[{"path": p, "label": lab, "features": f.astype(np.float32).tolist(), "weights_sha256": sha}
                  for p, lab, f in zip(good, labels, features)],
        featurize_report={"images_found": n_images, "featurized": len(good), "quarantined": n_quarantined,
                          "quarantine_by_reason": {"not_an_image": n_quarantined} if n_quarantined else {},
                          "weights_sha256": sha, "weights_source": "test", "model_load_s": 0.1,
                          "featurize_s": 1.0},
        pca_report={"images": len(good), "k": k, "input_dim": FEATURE_DIM,
                    "explained_variance": explained.tolist(),
                    "cumulative_explained_variance": np.cumsum(explained).tolist(),
                    "total_explained_variance": float(explained.sum()),
                    "total_variance": float((singular**2).sum() / (len(good) - 1)),
                    "features_bytes": 1, "pca_bytes": 1, "storage_ratio": 1.0,
                    "weights_sha256": sha, "fit_s": 0.5},
    )
