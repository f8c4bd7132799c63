"""Put sample fruit images into an (emulated) S3 bucket, one folder per class.

Real Fruits-360 images from ``../shared/fruits-sample`` are used when present (a few per class);
otherwise fruit-like images are generated, with a printed note that they are synthetic. A couple
of deliberately bad files (an empty file, a corrupt JPEG, a text file) can be added to show the
quarantine. Fruits-360 (Mihai Oltean, Horea Muresan) is licensed CC BY-SA 4.0.

    python -m local_emr.sample_data --endpoint-url http://127.0.0.1:5000 --bucket fruits-demo
"""
from __future__ import annotations

import argparse
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from local_emr.paths import SHARED_SAMPLE

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
# Synthetic classes: (name, fruit colour, second colour for the highlight/stem), RGB.
SYNTHETIC_CLASSES = (
    ("Apple Red", (190, 30, 40), (90, 60, 20)),
    ("Banana", (235, 210, 60), (120, 100, 30)),
    ("Kiwi", (120, 90, 50), (140, 180, 60)),
    ("Orange", (240, 140, 20), (250, 190, 90)),
)
# name (inside an existing class folder), content, the quarantine reason the featurize job should give
BAD_FILES = (
    ("empty.jpg", b"", "empty_file"),
    ("corrupt.jpg", b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20, "corrupt_image"),
    ("notes.txt", b"not an image\n", "unsupported_extension"),
)


@dataclass
class SampleUpload:
    """What was uploaded: images per class, the bad files, and whether the images are real photos."""

    source: str
    images_by_class: dict[str, int] = field(default_factory=dict)
    bad_files: list[str] = field(default_factory=list)

    @property
    def images(self) -> int:
        return sum(self.images_by_class.values())


def upload_samples(s3_client: Any, bucket: str, prefix: str, per_class: int = 5,
                   max_classes: int | None = None, bad_files: bool = True,
                   source: Path = SHARED_SAMPLE, say: Callable[[str], None] = print) -> SampleUpload:
    """Upload ``per_class`` images of each class under ``s3://bucket/prefix/<class>/``."""
    prefix = prefix.strip("/")
    if source.is_dir():
        images = _real_images(source, per_class, max_classes)
        upload = SampleUpload(f"real Fruits-360 images from {source} (CC BY-SA 4.0)")
    else:
        images = _synthetic_images(per_class, max_classes)
        upload = SampleUpload("synthetic images")
        say(f"NOTE: {source} not found, so these are SYNTHETIC fruit-like images generated "
            "on the fly, not photos; features and PCA plots will look accordingly.")
    for (label, name), body in images.items():
        s3_client.put_object(Bucket=bucket, Key=f"{prefix}/{label}/{name}", Body=body)
        upload.images_by_class[label] = upload.images_by_class.get(label, 0) + 1
    if bad_files:
        label = sorted(upload.images_by_class)[0]
        for name, body, _reason in BAD_FILES:
            key = f"{prefix}/{label}/{name}"
            s3_client.put_object(Bucket=bucket, Key=key, Body=body)
            upload.bad_files.append(f"s3://{bucket}/{key}")
    say(f"uploaded {upload.images} {upload.source} in {len(upload.images_by_class)} classes"
        f" and {len(upload.bad_files)} bad files to s3://{bucket}/{prefix}/")
    return upload


def _real_images(source: Path, per_class: int, max_classes: int | None) -> dict[tuple[str, str], bytes]:
    classes = sorted(p for p in source.iterdir() if p.is_dir())[:max_classes]
    images = {}
    for class_dir in classes:
        files = sorted(p for p in class_dir.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        for path in files[:per_class]:
            images[(class_dir.name, path.name)] = path.read_bytes()
    if not images:
        raise FileNotFoundError(f"no images in the class folders of {source}")
    return images


def _synthetic_images(per_class: int, max_classes: int | None) -> dict[tuple[str, str], bytes]:
    rng = random.Random(42)
    return {(name, f"{i}_100.jpg"): synthetic_fruit(colour, accent, rng)
            for name, colour, accent in SYNTHETIC_CLASSES[:max_classes]
            for i in range(per_class)}


def synthetic_fruit(colour: tuple[int, int, int], accent: tuple[int, int, int],
                    rng: random.Random, size: int = 100) -> bytes:
    """A JPEG of a fruit-coloured ellipse with a highlight on white, jittered per image."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    jitter = [rng.randint(-8, 8) for _ in range(4)]
    shade = tuple(max(0, min(255, c + rng.randint(-20, 20))) for c in colour)
    draw.ellipse((12 + jitter[0], 15 + jitter[1], 88 + jitter[2], 90 + jitter[3]), fill=shade)
    draw.ellipse((30 + jitter[0], 30 + jitter[1], 45 + jitter[0], 42 + jitter[1]), fill=accent)
    draw.rectangle((48, 5, 52, 18 + jitter[1]), fill=accent)
    buffer = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    from local_emr.server import emulator_client, ensure_bucket

    parser = argparse.ArgumentParser(prog="python -m local_emr.sample_data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint-url", required=True, help="the emulator, e.g. http://127.0.0.1:5000")
    parser.add_argument("--bucket", required=True, help="created when missing")
    parser.add_argument("--prefix", default="fruits/raw")
    parser.add_argument("--per-class", type=int, default=5)
    parser.add_argument("--max-classes", type=int, default=None)
    parser.add_argument("--no-bad-files", action="store_true")
    args = parser.parse_args(argv)
    s3 = emulator_client("s3", args.endpoint_url)
    ensure_bucket(s3, args.bucket)
    upload_samples(s3, args.bucket, args.prefix, args.per_class, args.max_classes,
                   bad_files=not args.no_bad_files)


if __name__ == "__main__":
    main()
