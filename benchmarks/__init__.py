"""Benchmarks of the fruits pipeline (`make bench` = `python -m benchmarks.run`).

Measures, in one run on the current machine: single-process Keras and alternative CPU runtimes, the
Spark featurize job (broadcast weights vs a naive per-batch reload), PCA fit time as rows grow, the
storage cut of PCA, and the EUR cost per million images from ``fruits_emr.cost``. Writes
``benchmarks/results.json`` and ``benchmarks/RESULTS.md``.
"""
