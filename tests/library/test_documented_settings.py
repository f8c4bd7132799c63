"""The deployment settings the docs name are the ones config.py reads: the README lists them all."""
from __future__ import annotations

import re
from pathlib import Path

from fruits_emr.config import EnvDefaults
from local_emr.paths import REPO_ROOT

SETTING = re.compile(r"\bFRUITS_EMR_[A-Z][A-Z0-9_]*\b")


class _RecordingEnv(dict):
    """An empty environment that remembers every variable asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return default


def _read_by_config() -> set[str]:
    env = _RecordingEnv()
    EnvDefaults.from_env(env)
    return env.asked


def _named_in(path: Path) -> set[str]:
    return set(SETTING.findall(path.read_text()))


def test_readme_names_exactly_the_settings_config_reads():
    assert _named_in(REPO_ROOT / "README.md") == _read_by_config()


def test_other_docs_name_only_settings_config_reads():
    docs = [*sorted((REPO_ROOT / "docs").glob("*.md")), REPO_ROOT / "dags" / "fruits_features.py"]
    for path in docs:
        unknown = _named_in(path) - _read_by_config()
        assert not unknown, f"{path.relative_to(REPO_ROOT)} names settings config.py does not read: {unknown}"
