"""Turn the bytes of one uploaded image into a MobileNetV2 input, or say precisely why it cannot be used.

Pure Pillow + numpy (no Spark, no TensorFlow), so it runs in any Python worker and is unit-tested alone.
``decode_image`` returns either a ``float32`` array of shape ``(224, 224, 3)`` in ``[-1, 1]`` (MobileNetV2's
``preprocess_input``: ``x / 127.5 - 1``) or a :class:`Quarantine` with a reason code from
docs/ARCHITECTURE.md and a human-readable detail.

Steps: size check from the header (before any pixel is decoded, so a decompression bomb costs nothing),
full decode, EXIF orientation, conversion of every colour mode to RGB (alpha composited on white, 16-bit
grey scaled to 8 bits), resize to 224x224 (stretched, like Keras' ``load_img(target_size=...)``).
"""
from __future__ import annotations

import io
import warnings
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SIZE = 224
DEFAULT_MAX_PIXELS = 40_000_000  # 40 MP: above any phone photo, far below a decompression bomb
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG"})  # MPO: multi-picture JPEG written by some cameras

EMPTY_FILE = "empty_file"
UNSUPPORTED_EXTENSION = "unsupported_extension"
NOT_AN_IMAGE = "not_an_image"
CORRUPT_IMAGE = "corrupt_image"
TOO_MANY_PIXELS = "too_many_pixels"
UNSUPPORTED_FORMAT = "unsupported_format"
MISSING_FILE = "missing_file"
REASON_CODES = (
    EMPTY_FILE, UNSUPPORTED_EXTENSION, NOT_AN_IMAGE, CORRUPT_IMAGE, TOO_MANY_PIXELS, UNSUPPORTED_FORMAT,
    MISSING_FILE,
)

_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
_WHITE = (255, 255, 255, 255)


class Quarantine(NamedTuple):
    """Why a file cannot be featurized: a reason code (see ``REASON_CODES``) and a detail for humans."""

    reason: str
    detail: str


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray | Quarantine:
    """Decode ``data`` into a preprocessed ``(224, 224, 3)`` float32 array, or a :class:`Quarantine`.

    Never raises for bad data: whatever else Pillow throws at a damaged file (``OSError``, ``SyntaxError``,
    ``struct.error``, ...) is reported as ``corrupt_image`` with the exception in the detail.
    """
    if not data:
        return Quarantine(EMPTY_FILE, "file has 0 bytes")
    try:
        return _decode(data, max_pixels)
    except Image.DecompressionBombError as exc:
        return Quarantine(TOO_MANY_PIXELS, str(exc))
    except UnidentifiedImageError:
        return Quarantine(NOT_AN_IMAGE, f"Pillow recognises no image format in {len(data)} bytes")
    except Exception as exc:  # noqa: BLE001 - a damaged file must become a record, never a failed job
        return Quarantine(CORRUPT_IMAGE, f"{type(exc).__name__}: {exc}")


def _decode(data: bytes, max_pixels: int) -> np.ndarray | Quarantine:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit applies below
        image = Image.open(io.BytesIO(data))
    with image:
        if image.format not in ACCEPTED_FORMATS:
            return Quarantine(UNSUPPORTED_FORMAT, f"file is {image.format}, expected JPEG or PNG")
        width, height = image.size
        if width * height > max_pixels:
            return Quarantine(TOO_MANY_PIXELS,
                              f"{width}x{height} = {width * height} pixels > limit {max_pixels}")
        image.load()
        oriented = ImageOps.exif_transpose(image)
    try:
        rgb = to_rgb(oriented)
    except ValueError as exc:
        return Quarantine(UNSUPPORTED_FORMAT, f"cannot convert mode {oriented.mode} to RGB: {exc}")
    resized = rgb.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
    return preprocess(np.asarray(resized))


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB; transparency composited on white, 16-bit grey scaled, not clipped."""
    if image.mode in _SIXTEEN_BIT_MODES:
        grey16 = np.clip(np.asarray(image, dtype=np.float64), 0, 65535)
        image = Image.fromarray(np.round(grey16 / 257.0).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba).convert("RGB")
    return image.convert("RGB")


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """MobileNetV2 ``preprocess_input``: uint8 RGB -> float32 in ``[-1, 1]``."""
    return rgb.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
