"""The benchmark's image set: N real images from ../shared/fruits-sample, or generated ones when absent.

The chosen images are copied into one folder (one sub-folder per class, like the job's input), so the
single-process runtimes and the Spark job read exactly the same files. Decoding goes through the
production decoder, ``fruits_spark.decode.decode_image``, so "decode included" means the job's decode.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from fruits_spark.decode import Quarantine, decode_image
from local_emr.paths import SHARED_SAMPLE

GENERATED_CLASSES = 5
GENERATED_SIZE = 100  # pixels, like Fruits-360


@dataclass(frozen=True)
class ImageSet:
    """The files every measurement runs on: ``root`` holds ``paths`` (sorted), ``real`` says their origin."""

    root: Path
    paths: list[Path]
    real: bool

    @property
    def description(self) -> str:
        if self.real:
            return f"{len(self.paths)} real Fruits-360 images (100x100 JPEG) from {SHARED_SAMPLE}"
        return f"{len(self.paths)} GENERATED images ({SHARED_SAMPLE} absent): throughput only"


def prepare_image_set(count: int, dest: Path, sample_dir: Path = SHARED_SAMPLE) -> ImageSet:
    """Copy ``count`` evenly spread real images into ``dest``, or generate them when the sample is missing."""
    if count < 1:
        raise ValueError(f"need at least one image, got {count}")
    available = sorted(sample_dir.rglob("*.jpg")) if sample_dir.is_dir() else []
    if len(available) >= count:
        picks = [available[i * len(available) // count] for i in range(count)]
        for src in picks:
            target = dest / src.parent.name / src.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
        real = True
    else:
        generate_images(count, dest)
        real = False
    return ImageSet(dest, sorted(dest.rglob("*.jpg")), real)


def generate_images(count: int, dest: Path, seed: int = 0) -> None:
    """Write ``count`` 100x100 JPEGs (a coloured disc on noise) into ``GENERATED_CLASSES`` class folders."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:GENERATED_SIZE, :GENERATED_SIZE]
    for i in range(count):
        pixels = rng.integers(0, 256, (GENERATED_SIZE, GENERATED_SIZE, 3), dtype=np.uint8)
        radius = rng.integers(20, 45)
        disc = (yy - GENERATED_SIZE / 2) ** 2 + (xx - GENERATED_SIZE / 2) ** 2 < radius**2
        pixels[disc] = rng.integers(0, 256, 3, dtype=np.uint8)
        target = dest / f"class_{i % GENERATED_CLASSES}" / f"{i:05d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(target, quality=90)


def decode_batch(paths: list[Path]) -> np.ndarray:
    """Read and decode ``paths`` with the production decoder; a file it would quarantine is an error here."""
    decoded = [decode_image(path.read_bytes()) for path in paths]
    rejected = [(path, item) for path, item in zip(paths, decoded) if isinstance(item, Quarantine)]
    if rejected:
        raise ValueError(f"benchmark images the job would quarantine: {rejected[:3]}")
    return np.stack(decoded)
