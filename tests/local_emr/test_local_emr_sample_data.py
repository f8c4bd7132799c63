"""Sample images for the demo: real ones from ../shared when present, else synthetic, plus bad files."""
from __future__ import annotations

import io

from PIL import Image

from local_emr.sample_data import BAD_FILES, upload_samples


def _keys(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_without_real_images_synthetic_ones_are_generated_and_said_so(s3, bucket, tmp_path):
    notes = []
    upload = upload_samples(s3, bucket, "fruits/raw/", per_class=3, max_classes=2,
                            source=tmp_path / "absent", say=notes.append)

    assert "SYNTHETIC" in notes[0]
    assert upload.images_by_class == {"Apple Red": 3, "Banana": 3}
    keys = _keys(s3, bucket)
    assert len(keys) == 6 + len(BAD_FILES)
    first = s3.get_object(Bucket=bucket, Key="fruits/raw/Banana/0_100.jpg")["Body"].read()
    with Image.open(io.BytesIO(first)) as image:
        assert (image.format, image.size, image.mode) == ("JPEG", (100, 100), "RGB")
    bad = {name: s3.get_object(Bucket=bucket, Key=f"fruits/raw/Apple Red/{name}")["Body"].read()
           for name, _, _ in BAD_FILES}
    assert bad["empty.jpg"] == b""


def test_real_images_are_taken_a_few_per_class(s3, bucket, real_sample):
    upload = upload_samples(s3, bucket, "raw", per_class=2, max_classes=3, bad_files=False,
                            source=real_sample, say=lambda _: None)

    classes = sorted(p.name for p in real_sample.iterdir() if p.is_dir())[:3]
    assert upload.images_by_class == {name: 2 for name in classes}
    keys = _keys(s3, bucket)
    assert [k.split("/")[1] for k in keys] == sorted(c for c in classes for _ in range(2))
    first_real = sorted((real_sample / classes[0]).glob("*.jpg"))[0]
    assert s3.get_object(Bucket=bucket, Key=f"raw/{classes[0]}/{first_real.name}")["Body"].read() \
        == first_real.read_bytes()
