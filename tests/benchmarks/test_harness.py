"""A tiny end-to-end run of `python -m benchmarks.run` (8 generated-or-real images): every step runs for real
(Keras, the Spark featurize job with broadcast and naive providers, the PCA job and Spark ML's PCA) and both
result files come out with every required key and every runtime tried; then `--only pca` replaces the PCA
part of those files and leaves the rest as it was."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.report import REQUIRED_KEYS, TARGETS
from benchmarks.run import main
from fruits_spark.backends import INVOKE_BATCH


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bench")
    return out, main(["--images", "8", "--rounds", "1", "--spark-rounds", "1", "--steady-rounds", "2",
                      "--batch-sizes", "4,8", "--invoke-batches", "1,4",
                      "--tuning-images", "8", "--runtimes", "keras,tflite_xnnpack", "--pca-rows", "",
                      "--pca-k", "4", "--probe-images", "8", "--inventory-files", "20",
                      "--output-dir", str(out)])


def test_tiny_run_writes_every_required_number(tiny_run):
    tmp_path, results = tiny_run

    written = json.loads((tmp_path / "results.json").read_text())
    assert set(REQUIRED_KEYS) <= set(written)
    assert written["batch_size"] in (4, 8)
    invoke = written["tflite_invoke_batch"]
    assert invoke["job_uses"] == INVOKE_BATCH and invoke["images_per_s"].keys() == {"1", "4"}
    assert all(rate > 0 for rate in invoke["images_per_s"].values())
    assert written["spark"]["images_per_s_by_provider"].keys() == {"broadcast", "naive", "backend_tflite"}
    assert all(written[key] > 0 for key in ("keras_images_per_s", "spark_images_per_s", "naive_images_per_s",
                                            "storage_ratio", "eur_per_million_images"))
    assert written["storage"]["images"] == 8 and written["storage"]["k"] == 4
    assert written["runtimes"]["keras"]["min_cosine_vs_keras"] >= 0.999999
    # steady state: the extra images of the double run over its extra seconds (end to end if too noisy)
    steady = written["spark_steady_images_per_s"] or written["spark_images_per_s"]
    assert written["featurize_vs_keras"] == round(steady / written["keras_images_per_s"], 3)
    assert written["spark"]["steady_state"]["double_images"] == 2 * written["spark"]["steady_state"]["images"]
    # the steady-state pair runs --steady-rounds times, the other providers --spark-rounds times
    assert len(written["spark"]["steady_state"]["double_round_seconds"]) == 2
    rounds = written["spark"]["round_seconds"]
    assert (len(rounds["backend_tflite"]), len(rounds["broadcast"])) == (2, 1)
    assert written["targets"].keys() == TARGETS.keys()  # every target checked, pca_1m_s included
    assert written["pca_1m_s"] is None and written["targets"]["pca_1m_s"]["met"] is None
    assert written["pca_accuracy"]["exact_pca_job"]["explained_variance_ratio_error"] < 1e-6
    alone = written["runtimes"]["tflite_xnnpack"]["images_per_s"]
    assert written["featurize_vs_backend_alone"] == round(steady / alone, 3)
    assert written["featurize_vs_backend_alone_end_to_end"] == round(written["spark_images_per_s"] / alone, 3)
    assert written["inventory"]["files"] == 20 and written["inventory"]["scaled_from_fewer_files"]
    assert 0 <= written["probe_accuracy_pca"] <= 1 and 0 <= written["probe_accuracy_features"] <= 1
    assert written == json.loads(json.dumps(results))

    markdown = (tmp_path / "RESULTS.md").read_text()
    for key in REQUIRED_KEYS:
        assert f"| {key} |" in markdown
    assert "| images per TFLite interpreter call |" in markdown
    assert "| keras |" in markdown and written["machine"]["cpu_model"] in markdown


def test_only_pca_replaces_the_pca_part_and_keeps_the_rest(tiny_run, tmp_path):
    earlier = json.loads((tiny_run[0] / "results.json").read_text())
    (tmp_path / "results.json").write_text(json.dumps(earlier))
    results = main(["--only", "pca", "--images", "8", "--pca-rows", "2000", "--spark-ml-rows", "2000",
                    "--pca-k", "4", "--probe-images", "8", "--output-dir", str(tmp_path)])

    written = json.loads((tmp_path / "results.json").read_text())
    assert written == json.loads(json.dumps(results))
    assert set(written["pca_scaling"]) == {"2000"}
    assert set(written["pca_scaling"]["2000"]) == {"exact", "spark_ml"}
    assert written["pca_fit_s"]["2000"] == written["pca_scaling"]["2000"]["exact"]["fit_s"] > 0
    assert written["pca_refit"]["rows_after"] == 2000 + written["pca_refit"]["new_rows"]
    for key in ("keras_images_per_s", "spark_images_per_s", "runtimes", "cost", "machine", "wall_s"):
        assert written[key] == earlier[key]
    assert "| 2000 |" in (tmp_path / "RESULTS.md").read_text()
