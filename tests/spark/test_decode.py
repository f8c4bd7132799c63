"""Decoding and path rules, without Spark: every bad kind gets its reason, every odd mode becomes RGB."""
from __future__ import annotations

import io

import numpy as np
import pytest
from image_factory import (
    bad_files,
    class_image,
    encode,
    grey16_png,
    odd_mode_images,
    png_with_claimed_size,
    two_tone_exif_rotated_jpeg,
)
from PIL import Image

from fruits_spark.decode import IMAGE_SIZE, Quarantine, decode_image, to_rgb
from fruits_spark.paths import escape_glob, has_supported_extension, label_of


@pytest.mark.parametrize(("name", "content", "reason"), [(n, c, r) for n, (c, r) in bad_files().items()
                                                         if r != "unsupported_extension"])
def test_bad_files_are_quarantined_with_their_reason(name, content, reason):
    result = decode_image(content)
    assert isinstance(result, Quarantine), name
    assert result.reason == reason
    assert result.detail


@pytest.mark.parametrize("name", sorted(odd_mode_images()))
def test_every_odd_mode_decodes_to_a_preprocessed_rgb_array(name):
    array = decode_image(odd_mode_images()[name])
    assert not isinstance(array, Quarantine), array
    assert array.shape == (IMAGE_SIZE, IMAGE_SIZE, 3)
    assert array.dtype == np.float32
    assert -1.0 <= array.min() <= array.max() <= 1.0


def test_pixel_limit_is_checked_before_decoding():
    image = encode(class_image(1, (300, 200)), "PNG")
    assert decode_image(image, max_pixels=300 * 200).shape == (IMAGE_SIZE, IMAGE_SIZE, 3)
    quarantined = decode_image(image, max_pixels=300 * 200 - 1)
    assert quarantined.reason == "too_many_pixels"
    assert "300x200" in quarantined.detail


def test_a_bomb_header_is_refused_without_allocating_its_pixels():
    result = decode_image(png_with_claimed_size(20_000, 10_000))  # 200 MP claimed in < 100 bytes
    assert result == Quarantine("too_many_pixels", result.detail)


def test_exif_orientation_is_applied():
    array = decode_image(two_tone_exif_rotated_jpeg())
    top, bottom = array[: IMAGE_SIZE // 3].mean(), array[-IMAGE_SIZE // 3 :].mean()
    left, right = array[:, : IMAGE_SIZE // 3].mean(), array[:, -IMAGE_SIZE // 3 :].mean()
    # Turned clockwise, the stored left (black) half ends up on top; unrotated it would stay on the left.
    assert top < -0.9 and bottom > 0.9
    assert abs(left - right) < 0.1


def test_transparent_pixels_become_white():
    clear = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    half = Image.new("RGBA", (10, 10), (0, 0, 0, 128))
    assert np.asarray(to_rgb(clear)).tolist() == np.full((10, 10, 3), 255).tolist()
    assert np.abs(np.asarray(to_rgb(half)).astype(int) - 127).max() <= 1


def test_palette_transparency_is_composited_on_white():
    image = Image.new("P", (4, 4), 0)
    image.putpalette([255, 0, 0] * 256)
    image.info["transparency"] = 0
    assert np.asarray(to_rgb(image)).tolist() == np.full((4, 4, 3), 255).tolist()


@pytest.mark.parametrize(("value16", "value8"), [(0, 0), (32896, 128), (65535, 255)])
def test_sixteen_bit_grey_is_scaled_not_clipped(value16, value8):
    image = Image.open(io.BytesIO(grey16_png(value16)))
    assert image.mode.startswith("I")
    assert set(np.asarray(to_rgb(image)).ravel().tolist()) == {value8}


def test_cmyk_is_converted_to_rgb():
    cyan = Image.new("CMYK", (4, 4), (255, 0, 0, 0))
    assert np.asarray(to_rgb(cyan))[0, 0].tolist() == [0, 255, 255]


def test_preprocessing_matches_keras_mobilenet_v2():
    from keras.applications.mobilenet_v2 import preprocess_input

    image = class_image(5, (IMAGE_SIZE, IMAGE_SIZE))
    expected = preprocess_input(np.asarray(image).astype(np.float32))
    np.testing.assert_allclose(decode_image(encode(image, "PNG")), expected, atol=1e-6)


@pytest.mark.parametrize(("uri", "supported"), [
    ("s3://b/Apple/1.jpg", True), ("x/1.JPG", True), ("x/1.Jpeg", True), ("x/1.png", True),
    ("x/1.gif", False), ("x/jpg", False), ("x/1.jpg.txt", False), ("x/.DS_Store", False),
])
def test_supported_extensions_ignore_case(uri, supported):
    assert has_supported_extension(uri) is supported


def test_label_is_the_parent_folder_name():
    assert label_of("s3://bucket/in/Apple Red 1/r_12_100.jpg") == "Apple Red 1"
    assert label_of("file:/tmp/images/kiwi/0.jpg") == "kiwi"


def test_glob_characters_are_escaped():
    assert escape_glob("file:/a/b[1]{x}*?.jpg") == r"file:/a/b\[1\]\{x\}\*\?.jpg"
