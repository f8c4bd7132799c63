"""Unit tests of the benchmark helpers: image set, agreement metric, interleaving, targets, cost, storage."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from benchmarks.costing import cost_summary
from benchmarks.images import decode_batch, generate_images, prepare_image_set
from benchmarks.report import REQUIRED_KEYS, TARGETS, check_targets, fastest_alternative, write_results
from benchmarks.storage_variants import pca_size_variants
from benchmarks.timing import interleaved_rounds, median_rate
from fruits_emr.cost import ClusterShape, eur_per_million_images
from fruits_spark.conversion_check import min_cosine
from fruits_spark.pca_storage import round_to_stored_precision


def test_generated_image_set_when_the_sample_is_absent(tmp_path):
    images = prepare_image_set(7, tmp_path / "images", sample_dir=tmp_path / "no-such-sample")
    assert not images.real and "GENERATED" in images.description
    assert len(images.paths) == 7 and all(p.is_relative_to(tmp_path / "images") for p in images.paths)
    assert decode_batch(images.paths).shape == (7, 224, 224, 3)


def test_real_image_set_spreads_over_the_sample(tmp_path):
    generate_images(20, tmp_path / "sample")  # 5 class folders x 4
    images = prepare_image_set(5, tmp_path / "picked", sample_dir=tmp_path / "sample")
    assert images.real
    assert len({p.parent.name for p in images.paths}) == 5  # every 4th file: one per class


def test_decode_batch_refuses_a_file_the_job_would_quarantine(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="quarantine"):
        decode_batch([broken])


def test_min_cosine_finds_the_worst_row():
    reference = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    features = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, -1.0]])  # last row orthogonal to its reference
    assert min_cosine(features, reference) == pytest.approx(0.0)
    assert min_cosine(reference * 5, reference) == pytest.approx(1.0)


def test_interleaved_rounds_rotate_the_order_and_keep_every_measurement():
    calls = []
    tasks = {name: (lambda name=name: calls.append(name) or float(len(calls))) for name in "abc"}
    seconds = interleaved_rounds(tasks, 3, progress=lambda _: None)
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert seconds["a"] == [1.0, 6.0, 8.0]
    assert median_rate(60, seconds["a"]) == 10.0


def test_targets_verdicts_on_both_sides_of_each_bar():
    met = check_targets({"featurize_vs_keras": 2.0, "featurize_vs_backend_alone": 0.9, "storage_ratio": 25.0,
                         "eur_per_million_images": 0.30, "pca_1m_s": 180.0, "inventory_100k_s": 30.0})
    assert met.keys() == TARGETS.keys() and all(v["met"] for v in met.values())
    missed = check_targets({"featurize_vs_keras": 1.99, "featurize_vs_backend_alone": 0.89,
                            "storage_ratio": 24.9, "eur_per_million_images": 0.31, "pca_1m_s": 180.1,
                            "inventory_100k_s": 30.1})
    assert not any(v["met"] for v in missed.values())
    assert check_targets({})["storage_ratio"]["met"] is None


def test_fastest_alternative_ignores_keras_variants_failures_and_unfaithful_runtimes():
    runtimes = {"keras": {"images_per_s": 50.0, "matches_keras": True},
                "keras_tf_function": {"images_per_s": 500.0, "matches_keras": True},
                "onnxruntime": {"images_per_s": 90.0, "matches_keras": True},
                "tflite_xnnpack": {"images_per_s": 120.0, "matches_keras": True},
                "openvino": {"images_per_s": 300.0, "matches_keras": False}, "other": {"error": "boom"}}
    assert fastest_alternative(runtimes)[0] == "tflite_xnnpack"
    assert fastest_alternative(runtimes, faithful=False)[0] == "openvino"
    assert fastest_alternative({"keras": {"images_per_s": 1.0, "matches_keras": True}}) is None


def test_writer_refuses_results_without_a_required_key(tmp_path):
    with pytest.raises(ValueError, match="storage_ratio"):
        write_results({key: 1 for key in REQUIRED_KEYS if key != "storage_ratio"}, tmp_path)
    assert not (tmp_path / "results.json").exists()


def test_cost_goes_through_the_dag_cost_model():
    shape = ClusterShape()
    summary = cost_summary(spark_images_per_s=80.0, local_cores=2, shape=shape)
    assert summary["images_per_vcpu_s"] == 40.0  # 80 / 2 local cores, each a vCPU like EC2's
    assert summary["eur_per_million_images"] == round(eur_per_million_images(40.0, shape), 4)
    assert cost_summary(160.0, 2, shape)["eur_per_million_images"] == pytest.approx(
        summary["eur_per_million_images"] / 2, abs=1e-4)
    assert summary["eur_per_million_images_on_demand"] > summary["eur_per_million_images"]
    assert summary["one_million_run_eur"] > summary["eur_per_million_images"]  # provisioning overhead on top


def test_pca_size_variants_rewrite_the_same_rows():
    rng = np.random.default_rng(0)
    exact = (rng.normal(size=(200, 50)) + np.repeat(np.eye(50)[:4] * 20, 50, axis=0)).astype(np.float32)
    table = pa.table({"path": [f"s3://bucket/fruits/class/{i}.jpg" for i in range(200)],
                      "label": [f"class {i // 50}" for i in range(200)],
                      "pca": pa.array(list(round_to_stored_precision(exact)), pa.list_(pa.float32()))})
    variants = pca_size_variants(table, exact, features_bytes=1_000_000)
    chosen = variants["float16_precision_bss_zstd (the job's layout)"]
    assert chosen["bytes"] < variants["float32_bss_zstd"]["bytes"] < variants["float32_snappy"]["bytes"]
    assert variants["float16_precision_bss_zstd_without_label"]["bytes"] < chosen["bytes"]
    for variant in variants.values():
        assert variant["ratio"] == round(1_000_000 / variant["bytes"], 2)
        assert variant["probe_accuracy"] == 1.0  # four well separated classes, at every precision
