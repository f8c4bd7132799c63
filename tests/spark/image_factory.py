"""Small generated test images: every colour mode the decoder must handle and every kind of bad file."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ORIENTATION_TAG = 0x0112
ROTATE_90_CW = 6  # EXIF orientation: the stored pixels must be turned 90 degrees clockwise to display


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def class_image(seed: int, size: tuple[int, int] = (96, 80)) -> Image.Image:
    """An RGB image whose colours and stripe pattern depend on ``seed`` (one look per class)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=3)
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    stripes = ((x // (4 + seed % 7) + y // (5 + seed % 5)) % 2)[..., None]
    pixels = np.clip(base + stripes * 90 + rng.normal(0, 8, (size[1], size[0], 3)), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def two_tone_exif_rotated_jpeg() -> bytes:
    """Stored as 80 wide x 40 high, left half black, right half white, tagged 'rotate 90 clockwise'.

    Displayed correctly it is 40 wide x 80 high with the black half on top.
    """
    pixels = np.zeros((40, 80, 3), np.uint8)
    pixels[:, 40:] = 255
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = ROTATE_90_CW
    return encode(Image.fromarray(pixels, "RGB"), "JPEG", exif=exif, quality=95)


def grey16_png(value: int, size: tuple[int, int] = (32, 32)) -> bytes:
    return encode(Image.fromarray(np.full(size[::-1], value, np.uint16)), "PNG")


def png_with_claimed_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels: a decompression bomb's signature."""
    data = bytearray(encode(Image.new("L", (8, 8)), "PNG"))
    ihdr_start = 8 + 4  # signature, chunk length
    data[ihdr_start + 4 : ihdr_start + 12] = struct.pack(">II", width, height)
    body = bytes(data[ihdr_start : ihdr_start + 4 + 13])
    data[ihdr_start + 17 : ihdr_start + 21] = struct.pack(">I", zlib.crc32(body))
    return bytes(data)


def truncated_jpeg() -> bytes:
    full = encode(class_image(99, (200, 160)), "JPEG", quality=90)
    return full[: len(full) // 2]


def odd_mode_images() -> dict[str, bytes]:
    """One small file per colour mode the decoder must convert to RGB, keyed by a descriptive file name."""
    rgb = class_image(7, (64, 48))
    rgba = rgb.copy()
    rgba.putalpha(Image.linear_gradient("L").resize(rgb.size))
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return {
        "mode_L.jpg": encode(rgb.convert("L"), "JPEG"),
        "mode_LA.png": encode(rgba.convert("LA"), "PNG"),
        "mode_P_transparent.png": encode(palette, "PNG", transparency=0),
        "mode_RGBA.png": encode(rgba, "PNG"),
        "mode_CMYK.jpg": encode(rgb.convert("CMYK"), "JPEG"),
        "mode_I16.png": grey16_png(40000),
        "mode_1.png": encode(rgb.convert("1"), "PNG"),
        "exif_rotated.jpg": two_tone_exif_rotated_jpeg(),
    }


def bad_files() -> dict[str, tuple[bytes, str]]:
    """File name -> (content, the quarantine reason the job must give it)."""
    return {
        "zero_bytes.jpg": (b"", "empty_file"),
        "truncated.jpg": (truncated_jpeg(), "corrupt_image"),
        "truncated_header.png": (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR\x00", "corrupt_image"),
        "text_named.jpg": (b"this is a text file, not a JPEG\n" * 4, "not_an_image"),
        "bomb.png": (png_with_claimed_size(60_000, 60_000), "too_many_pixels"),
        "gif_named.png": (encode(class_image(3, (16, 16)).convert("P"), "GIF"), "unsupported_format"),
        "notes.txt": (b"not an image\n", "unsupported_extension"),
        "picture.webp": (encode(class_image(4, (16, 16)), "WEBP"), "unsupported_extension"),
    }


def write_image_tree(root: Path, images_per_class: int = 4) -> dict[str, str | None]:
    """Write a class-per-folder tree under ``root``; return ``{file URI: expected reason or None}``.

    Includes names Spark's readers skip (``_x.jpg``, ``.x.PNG``, a folder ``_drafts``), glob characters,
    percent signs and a newline in a name, and upper-case extensions, which must all be featurized like
    any other image.
    """
    expected: dict[str, str | None] = {}

    def put(relative: str, content: bytes, reason: str | None) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        expected[f"file:{path}"] = reason

    for seed, label in enumerate(("cherry", "kiwi", "lemon")):
        for n in range(images_per_class):
            put(f"{label}/{n}.jpg", encode(class_image(seed * 100 + n % 2), "JPEG", quality=90), None)
    put("kiwi/UPPER.JPEG", encode(class_image(101), "JPEG"), None)
    put("kiwi/_underscore.jpg", encode(class_image(100), "JPEG"), None)
    put("kiwi/photo [1] {copy}.jpg", encode(class_image(100), "JPEG"), None)  # glob characters in the name
    put("kiwi/50% a%20b é.jpg", encode(class_image(102), "JPEG"), None)  # its URI form differs from its path
    put("kiwi/new\nline.jpg", encode(class_image(103), "JPEG"), None)  # breaks one-path-per-line lists
    put("lemon/.dotted.PNG", encode(class_image(200), "PNG"), None)
    put("_drafts/0.png", encode(class_image(300), "PNG"), None)
    for name, content in odd_mode_images().items():
        put(f"odd_modes/{name}", content, None)
    for name, (content, reason) in bad_files().items():
        put(f"bad/{name}", content, reason)
    return expected
