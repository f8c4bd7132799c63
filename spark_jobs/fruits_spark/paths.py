"""What a URI tells the featurize job: its label, whether its extension is accepted, its Spark path."""
from __future__ import annotations

import re

SUPPORTED_EXTENSIONS = (".jpg", ".jpeg", ".png")
_GLOB_CHARACTERS = re.compile(r"([\\\[\]{}*?])")


def label_of(uri: str) -> str:
    """The class label of an image: the name of its parent folder (``s3://b/in/Apple/1.jpg`` -> ``Apple``)."""
    parts = uri.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else ""


def has_supported_extension(uri: str) -> bool:
    """True for ``.jpg``, ``.jpeg`` and ``.png`` in any letter case."""
    return uri.lower().endswith(SUPPORTED_EXTENSIONS)


def escape_glob(uri: str) -> str:
    """Escape Hadoop glob characters so Spark reads a file named ``apple[1].jpg`` as that literal name."""
    return _GLOB_CHARACTERS.sub(r"\\\1", uri)
