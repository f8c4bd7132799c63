"""Where the repository and the optional shared data (``../shared``: real images, real weights) are."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("FRUITS_SHARED_DIR", REPO_ROOT.parent / "shared"))
SHARED_SAMPLE = SHARED_DIR / "fruits-sample"
SHARED_WEIGHTS = SHARED_DIR / "models" / "mobilenet_v2_1.0_224_no_top.weights.h5"
LOCAL_DIR = REPO_ROOT / ".local"  # git-ignored scratch space of the local tools
