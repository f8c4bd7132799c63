"""Measuring on a noisy shared machine: run competitors interleaved, round after round, keep the median.

Interleaving spreads load spikes from other processes over every competitor instead of penalising
whichever ran during the spike; the median of the rounds ignores a single bad round.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved_rounds(tasks: dict[str, Callable[[], float]], rounds: int,
                       progress: Callable[[str], None] = print) -> dict[str, list[float]]:
    """Call every task once per round, in a rotated order; each call returns the seconds it measured."""
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    names = list(tasks)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            seconds[name].append(tasks[name]())
            progress(f"  round {round_index + 1}/{rounds} {name}: {seconds[name][-1]:.2f} s")
    return seconds


def median_rate(items: int, seconds: list[float]) -> float:
    """Items per second of the median round."""
    return items / statistics.median(seconds)


def stopwatch() -> Callable[[], float]:
    """Start a timer; calling the result returns the seconds since the start."""
    started = time.perf_counter()
    return lambda: time.perf_counter() - started
