"""The quality yardstick of the features: held-out k-nearest-neighbour accuracy of the labels, numpy only.

``probe_accuracy(vectors, labels)`` draws a stratified sample of at most ``max_rows`` rows (every class
keeps its share), splits it into ``folds`` stratified folds and classifies each fold by a majority vote
of its ``neighbours`` nearest rows (Euclidean distance) in the other folds; ties go to the class whose
nearest neighbour is the closest. The figure is the fraction of rows classified right. The same function
measures the 1280-d features and their PCA coordinates (a rotation then a truncation, so Euclidean
distances compare), which is how the benchmark and validation tell what the PCA costs in accuracy.
Fixed seed: the same rows give the same figure. Cost: ``max_rows``\\ :sup:`2` distances, one fold at a time.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_ROWS = 5_000
FOLDS = 5
NEIGHBOURS = 5
SEED = 0


def stratified_sample(codes: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of at most ``max_rows`` rows in which every class keeps its share of ``codes``."""
    if len(codes) <= max_rows:
        return np.arange(len(codes))
    shuffled = rng.permutation(len(codes))
    classes = codes[shuffled]
    counts = np.bincount(classes)
    by_class = np.argsort(classes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(len(codes))
    rank[by_class] = np.arange(len(codes)) - starts[classes[by_class]]
    quantile = (rank + 0.5) / counts[classes]  # the k-th of n rows of a class sits at (k + 0.5) / n
    return np.sort(shuffled[np.argsort(quantile, kind="stable")[:max_rows]])


def stratified_folds(codes: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """The fold (0 .. folds-1) of each row: each class dealt round-robin over the folds in random order."""
    fold = np.empty(len(codes), dtype=int)
    for code in np.unique(codes):
        members = rng.permutation(np.flatnonzero(codes == code))
        fold[members] = np.arange(len(members)) % folds
    return fold


def knn_predict(train: np.ndarray, train_codes: np.ndarray, test: np.ndarray, neighbours: int,
                classes: int) -> np.ndarray:
    """The majority class among the ``neighbours`` nearest training rows of each test row."""
    distances = (np.sum(test**2, axis=1)[:, None] - 2.0 * test @ train.T) + np.sum(train**2, axis=1)[None, :]
    take = min(neighbours, len(train))
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :take]
    votes = np.zeros((len(test), classes))
    first_rank = np.full((len(test), classes), take)
    rows = np.arange(len(test))
    for rank in reversed(range(take)):
        votes[rows, train_codes[nearest[:, rank]]] += 1
        first_rank[rows, train_codes[nearest[:, rank]]] = rank
    return np.argmax(votes * (take + 1) - first_rank, axis=1)


def probe_accuracy(vectors: np.ndarray, labels: Sequence[str], max_rows: int = MAX_ROWS, folds: int = FOLDS,
                   neighbours: int = NEIGHBOURS, seed: int = SEED) -> dict:
    """``{"accuracy", "rows", "classes", "folds", "neighbours", "method"}``; ``accuracy`` is None (with a
    ``reason``) when the labels cannot be probed: fewer than 2 classes or fewer rows than folds."""
    names, codes = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    described = {"rows": 0, "classes": len(names), "folds": folds, "neighbours": neighbours,
                 "method": f"{neighbours}-NN, Euclidean, {folds}-fold stratified CV, <= {max_rows} rows"}
    if len(names) < 2 or len(codes) < folds:
        return {**described, "accuracy": None,
                "reason": f"{len(codes)} labelled rows in {len(names)} classes: nothing to tell apart"}
    rng = np.random.default_rng(seed)
    chosen = stratified_sample(codes, max_rows, rng)
    matrix, codes = np.asarray(vectors, dtype=np.float64)[chosen], codes[chosen]
    fold = stratified_folds(codes, folds, rng)
    right = 0
    for held_out in range(folds):
        test = fold == held_out
        predicted = knn_predict(matrix[~test], codes[~test], matrix[test], neighbours, len(names))
        right += int(np.sum(predicted == codes[test]))
    return {**described, "rows": len(codes), "accuracy": right / len(codes)}
