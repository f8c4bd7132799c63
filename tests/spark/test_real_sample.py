"""Sanity check with the real pretrained weights on real Fruits-360 photos: features separate the classes."""
from __future__ import annotations

import shutil

import numpy as np

from fruits_spark.featurize_job import FeaturizeArgs, run_featurize

CLASSES = 5
PER_CLASS = 10


def test_nearest_centroid_accuracy_on_real_fruit_is_high(spark, real_weights, real_sample, tmp_path):
    for folder in sorted(p for p in real_sample.iterdir() if p.is_dir())[:: 3][:CLASSES]:
        (tmp_path / "in" / folder.name).mkdir(parents=True)
        for image in sorted(folder.glob("*.jpg"))[:PER_CLASS]:
            shutil.copy(image, tmp_path / "in" / folder.name / image.name)
    args = FeaturizeArgs(input=str(tmp_path / "in"), output=str(tmp_path / "features"),
                         quarantine=str(tmp_path / "quarantine"), weights=str(real_weights), batch_size=25)
    report = run_featurize(spark, args)
    assert (report["featurized"], report["quarantined"]) == (CLASSES * PER_CLASS, 0)

    rows = spark.read.parquet(args.output).collect()
    labels = np.asarray([row.label for row in rows])
    features = np.asarray([row.features for row in rows], np.float64)
    classes = sorted(set(labels))
    correct = 0
    for i in range(len(rows)):  # leave-one-out nearest centroid
        others = np.arange(len(rows)) != i
        centroids = np.stack([features[others & (labels == c)].mean(axis=0) for c in classes])
        correct += classes[int(np.argmin(np.linalg.norm(centroids - features[i], axis=1)))] == labels[i]
    assert correct / len(rows) >= 0.9
