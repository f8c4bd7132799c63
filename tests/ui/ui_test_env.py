"""What the browser tests share besides fixtures: where their screenshots go (git-ignored)."""
from __future__ import annotations

from local_emr.paths import LOCAL_DIR

SCREENSHOTS = LOCAL_DIR / "ui-screenshots"
