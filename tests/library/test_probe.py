"""The k-NN probe: it tells separable classes from shuffled labels, keeps class shares, and says when it
cannot measure."""
from __future__ import annotations

import numpy as np
import pytest

from fruits_emr.probe import probe_accuracy, stratified_folds, stratified_sample


def _clusters(per_class: int, classes: int, spread: float, seed: int = 1) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, (classes, 8))
    rows = np.concatenate([centre + rng.normal(0, spread, (per_class, 8)) for centre in centres])
    return rows, [f"class {c}" for c in range(classes) for _ in range(per_class)]


def test_separable_classes_are_all_recognised():
    rows, labels = _clusters(40, 4, spread=0.5)
    result = probe_accuracy(rows, labels)
    assert result["accuracy"] == 1.0
    assert (result["rows"], result["classes"]) == (160, 4)


def test_shuffled_labels_fall_to_chance():
    rows, labels = _clusters(50, 4, spread=0.5)
    shuffled = list(np.random.default_rng(2).permutation(labels))
    assert probe_accuracy(rows, shuffled)["accuracy"] < 0.45  # chance is 0.25


def test_overlapping_classes_score_between_chance_and_perfect():
    rows, labels = _clusters(60, 3, spread=12.0)
    accuracy = probe_accuracy(rows, labels)["accuracy"]
    assert 1 / 3 < accuracy < 1.0


def test_same_rows_give_the_same_figure():
    rows, labels = _clusters(30, 3, spread=8.0)
    assert probe_accuracy(rows, labels) == probe_accuracy(rows, labels)


def test_the_sample_is_capped_and_keeps_each_class_share():
    codes = np.repeat([0, 1, 2], [600, 300, 100])
    chosen = stratified_sample(codes, 100, np.random.default_rng(0))
    assert len(chosen) == 100 and len(set(chosen.tolist())) == 100
    assert np.bincount(codes[chosen]).tolist() == [60, 30, 10]


def test_folds_spread_every_class_evenly():
    codes = np.repeat([0, 1], [10, 7])
    fold = stratified_folds(codes, 5, np.random.default_rng(0))
    assert np.bincount(fold[codes == 0]).tolist() == [2, 2, 2, 2, 2]
    assert sorted(np.bincount(fold[codes == 1], minlength=5).tolist()) == [1, 1, 1, 2, 2]


def test_a_capped_probe_reports_the_rows_it_used():
    rows, labels = _clusters(100, 3, spread=0.5)
    assert probe_accuracy(rows, labels, max_rows=90)["rows"] == 90


@pytest.mark.parametrize("labels", [["apple"] * 20, ["apple", "pear", "apple"]])
def test_unprobeable_labels_give_no_accuracy(labels):
    result = probe_accuracy(np.zeros((len(labels), 3)), labels)
    assert result["accuracy"] is None and "nothing to tell apart" in result["reason"]
