"""Single-process throughput of every runtime on the benchmark images, decode included, and their agreement.

One pass = decode (production decoder) + inference over all N images, batch by batch. The Keras
batch size is tuned first on a subset; then every runtime runs at that batch size, interleaved over
several rounds, and reports the median images/s, the ratio to Keras measured in the same rounds, and
the lowest cosine similarity between its features and Keras' over every image.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.images import decode_batch
from benchmarks.runtimes import REFERENCE, RUNTIMES, Predictor, Runtime, tflite_file
from benchmarks.timing import interleaved_rounds, median_rate, stopwatch
from fruits_spark.conversion_check import AGREEMENT_BAR, min_cosine


def featurize_pass(predict: Predictor, paths: list[Path], batch_size: int) -> tuple[float, np.ndarray]:
    """Seconds to decode and featurize ``paths`` in batches, and the features ``[len(paths), 1280]``."""
    elapsed = stopwatch()
    features = [predict(decode_batch(paths[i:i + batch_size])) for i in range(0, len(paths), batch_size)]
    return elapsed(), np.concatenate(features)


def warm_up(predict: Predictor, paths: list[Path], batch_size: int) -> None:
    """Run every batch shape a pass will use once (tracing, allocation) so rounds time steady state."""
    predict(decode_batch(paths[:batch_size]))
    if len(paths) % batch_size and len(paths) > batch_size:
        predict(decode_batch(paths[-(len(paths) % batch_size):]))


def tune_batch_size(predict: Predictor, paths: list[Path], candidates: list[int], rounds: int,
                    progress: Callable[[str], None] = print) -> tuple[int, dict[int, float]]:
    """The candidate batch size with the best median images/s on ``paths`` (and every candidate's rate)."""
    for size in candidates:
        warm_up(predict, paths, size)
    rates = _interleaved_rates({size: (lambda size=size: featurize_pass(predict, paths, size)[0])
                                for size in candidates}, len(paths), rounds, progress)
    return max(rates, key=rates.get), rates


def compare_invoke_batches(model, paths: list[Path], batch_size: int, candidates: list[int], rounds: int,
                           workdir: Path, threads: int,
                           progress: Callable[[str], None] = print) -> dict[int, float]:
    """Images/s of the ``tflite`` backend's embedder for each number of images per interpreter call, fed
    batches of ``batch_size`` (decode included), with ``threads`` threads like one task of the job."""
    from fruits_spark.backends import litert_embedder

    content = tflite_file(model, workdir).read_bytes()
    embedders = {size: litert_embedder(content, threads, size) for size in candidates}
    for embed in embedders.values():
        warm_up(embed, paths, batch_size)
    return _interleaved_rates({size: (lambda embed=embed: featurize_pass(embed, paths, batch_size)[0])
                               for size, embed in embedders.items()}, len(paths), rounds, progress)


def _interleaved_rates(passes: dict[int, Callable[[], float]], images: int, rounds: int,
                       progress: Callable[[str], None]) -> dict[int, float]:
    seconds = interleaved_rounds({str(key): run for key, run in passes.items()}, rounds, progress)
    return {int(name): median_rate(images, values) for name, values in seconds.items()}


def compare_runtimes(model, paths: list[Path], batch_size: int, rounds: int, workdir: Path, threads: int,
                     runtimes: tuple[Runtime, ...] = RUNTIMES,
                     progress: Callable[[str], None] = print) -> dict[str, dict]:
    """Build every runtime, time them interleaved, check agreement; a failing runtime is recorded only."""
    results: dict[str, dict] = {}
    predictors: dict[str, Predictor] = {}
    for runtime in runtimes:
        elapsed = stopwatch()
        try:
            predictors[runtime.name] = runtime.build(model, workdir, threads)
            warm_up(predictors[runtime.name], paths, batch_size)
        except Exception as exc:  # any runtime may fail to convert or load: record why and go on
            predictors.pop(runtime.name, None)
            results[runtime.name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            progress(f"  {runtime.name}: FAILED to build: {results[runtime.name]['error']}")
            continue
        results[runtime.name] = {"build_s": round(elapsed(), 2)}
        progress(f"  {runtime.name}: built and warmed up in {results[runtime.name]['build_s']} s")
    if REFERENCE not in predictors:
        raise RuntimeError(f"the reference runtime {REFERENCE!r} failed: {results[REFERENCE]['error']}")

    features: dict[str, np.ndarray] = {}

    def timed(name: str) -> float:
        seconds, features[name] = featurize_pass(predictors[name], paths, batch_size)
        return seconds

    runs = {name: (lambda name=name: timed(name)) for name in predictors}
    seconds = interleaved_rounds(runs, rounds, progress)
    reference_rate = median_rate(len(paths), seconds[REFERENCE])
    for name, values in seconds.items():
        rate = median_rate(len(paths), values)
        cosine = min_cosine(features[name], features[REFERENCE])
        results[name].update(
            images_per_s=round(rate, 2),
            round_seconds=[round(v, 3) for v in values],
            vs_keras=round(rate / reference_rate, 3),
            min_cosine_vs_keras=round(cosine, 6),
            matches_keras=cosine >= AGREEMENT_BAR,
        )
    return results
