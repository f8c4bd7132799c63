"""PNG figures of a run's PCA output: the explained-variance curve and a 2-D scatter by fruit class.

Pure functions from arrays to PNG bytes, drawn with matplotlib's object-oriented API on the Agg
canvas (no pyplot global state, no display needed). matplotlib is imported inside the functions so
that importing this module at DAG-parse time stays cheap.
"""
from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence

import numpy as np

DATASET_CREDIT = "Fruits-360 (CC BY-SA 4.0)"
MAX_LEGEND_CLASSES = 20
MAX_SCATTER_POINTS = 20_000


def _png_bytes(fig) -> bytes:
    """Credit the dataset (the figure derives from its images) and render the figure as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.text(0.01, 0.005, f"Images: {DATASET_CREDIT}", fontsize=7, color="dimgray")
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return buffer.getvalue()


def explained_variance_png(explained: Sequence[float], threshold: float, title: str) -> bytes:
    """Bars of the variance each component explains, the cumulative curve and the threshold line."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    explained = np.asarray(explained, dtype=float)
    components = np.arange(1, explained.size + 1)
    cumulative = np.cumsum(explained)
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    ax.bar(components, explained, color="tab:blue", alpha=0.6, label="per component")
    ax.plot(components, cumulative, color="tab:orange", marker="o", markersize=3, label="cumulative")
    ax.axhline(threshold, color="tab:red", linestyle="--", label=f"threshold {threshold:g}")
    ax.set_xlabel("principal component")
    ax.set_ylabel("fraction of variance explained")
    ax.set_ylim(0, 1.05)
    ax.set_xlim(0.5, explained.size + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{title}\ncumulative {cumulative[-1]:.3f} with {explained.size} components")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="center right")
    return _png_bytes(fig)


def _hues_first(colours: Sequence, shades: int) -> list:
    """Reorder a palette made of runs of ``shades`` shades per hue so that neighbours differ in hue."""
    return [colour for shade in range(shades) for colour in colours[shade::shades]]


def _class_colours(labels: Sequence[str]) -> dict:
    """One colour per class, largest classes first (ties by name); 60 distinct colours, then repeats.

    tab20, tab20b and tab20c hold runs of shades of one hue; reordered, classes next to each other in
    the legend get different hues.
    """
    from matplotlib import colormaps

    palette = [*_hues_first(colormaps["tab20"].colors, 2), *_hues_first(colormaps["tab20b"].colors, 4),
               *_hues_first(colormaps["tab20c"].colors, 4)]
    ordered = sorted(Counter(labels).items(), key=lambda item: (-item[1], item[0]))
    return {label: palette[i % len(palette)] for i, (label, _) in enumerate(ordered)}


def pca_scatter_png(xy: np.ndarray, labels: Sequence[str], title: str) -> bytes:
    """The first two PCA components of every row (a seeded sample above 20,000), coloured by class."""
    from matplotlib.figure import Figure

    xy = np.asarray(xy, dtype=float)
    labels = np.asarray(labels, dtype=object)
    if len(xy) > MAX_SCATTER_POINTS:
        keep = np.random.default_rng(0).choice(len(xy), MAX_SCATTER_POINTS, replace=False)
        xy, labels = xy[keep], labels[keep]
    colours = _class_colours(list(labels))
    fig = Figure(figsize=(9, 6.5))
    ax = fig.add_subplot()
    for i, (label, colour) in enumerate(colours.items()):
        mask = labels == label
        ax.scatter(xy[mask, 0], xy[mask, 1], s=10, alpha=0.7, color=colour,
                   label=label if i < MAX_LEGEND_CLASSES else None)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(f"{title}\n{len(xy)} images, {len(colours)} classes")
    ax.grid(alpha=0.3)
    legend_title = "class" if len(colours) <= MAX_LEGEND_CLASSES else (
        f"{MAX_LEGEND_CLASSES} largest of {len(colours)} classes")
    ax.legend(title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small",
              markerscale=1.5, frameon=False)
    return _png_bytes(fig)
