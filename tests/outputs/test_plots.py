"""The PNG figures on their own: large and many-class inputs still give readable, valid images."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

from fruits_emr.plots import MAX_SCATTER_POINTS, _class_colours, explained_variance_png, pca_scatter_png


def _open_png(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image


def test_scatter_of_many_points_and_classes_is_a_png():
    rng = np.random.default_rng(0)
    n = MAX_SCATTER_POINTS + 500  # above the cap: drawn from a seeded sample
    labels = [f"class {i % 25:02d}" for i in range(n)]
    image = _open_png(pca_scatter_png(rng.normal(size=(n, 2)), labels, "run test"))
    assert image.width > 800 and image.height > 600


def test_up_to_60_classes_get_distinct_colours():
    colours = _class_colours([f"c{i}" for i in range(60)])
    assert len(set(colours.values())) == 60


def test_largest_classes_come_first_in_the_legend_order():
    colours = _class_colours(["kiwi", "apple", "kiwi", "banana", "kiwi", "apple"])
    assert list(colours) == ["kiwi", "apple", "banana"]


def test_single_component_curve_is_a_png():
    assert _open_png(explained_variance_png([0.42], 0.8, "run test")).width > 600
