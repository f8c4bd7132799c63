"""A tiny end-to-end run of `python -m benchmarks.run` (8 generated-or-real images): every step runs for real
(Keras, the Spark featurize job with broadcast and naive providers, the PCA job) and both result files
come out with every required key and every runtime tried."""
from __future__ import annotations

import json

from benchmarks.report import REQUIRED_KEYS, TARGETS
from benchmarks.run import main


def test_tiny_run_writes_every_required_number(tmp_path):
    results = main(["--images", "8", "--rounds", "1", "--spark-rounds", "1", "--batch-sizes", "4,8",
                    "--tuning-images", "8", "--runtimes", "keras,tflite_xnnpack", "--pca-rows", "",
                    "--pca-k", "4", "--probe-images", "8", "--inventory-files", "20",
                    "--output-dir", str(tmp_path)])

    written = json.loads((tmp_path / "results.json").read_text())
    assert set(REQUIRED_KEYS) <= set(written)
    assert written["batch_size"] in (4, 8)
    assert written["spark"]["images_per_s_by_provider"].keys() == {"broadcast", "naive", "backend_tflite"}
    assert all(written[key] > 0 for key in ("keras_images_per_s", "spark_images_per_s", "naive_images_per_s",
                                            "storage_ratio", "eur_per_million_images"))
    assert written["storage"]["images"] == 8 and written["storage"]["k"] == 4
    assert written["runtimes"]["keras"]["min_cosine_vs_keras"] >= 0.999999
    ratio = written["spark_images_per_s"] / written["keras_images_per_s"]
    assert written["featurize_vs_keras"] == round(ratio, 3)
    assert written["targets"].keys() == TARGETS.keys()  # every target checked, pca_1m_s included
    alone = written["runtimes"]["tflite_xnnpack"]["images_per_s"]
    assert written["featurize_vs_backend_alone"] == round(written["spark_images_per_s"] / alone, 3)
    assert written["inventory"]["files"] == 20 and written["inventory"]["scaled_from_fewer_files"]
    assert 0 <= written["probe_accuracy_pca"] <= 1 and 0 <= written["probe_accuracy_features"] <= 1
    assert written == json.loads(json.dumps(results))

    markdown = (tmp_path / "RESULTS.md").read_text()
    for key in REQUIRED_KEYS:
        assert f"| {key} |" in markdown
    assert "| keras |" in markdown and written["machine"]["cpu_model"] in markdown
