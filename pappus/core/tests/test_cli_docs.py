"""docs/configuration.md lists every environment variable the settings read."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_every_variable_read_by_the_settings_is_documented():
    sources = [*sorted((ROOT / "config" / "settings").glob("*.py")), ROOT / "config" / "env.py"]
    read = {name for source in sources for name in re.findall(r"\bPAPPUS_[A-Z_]+\b", source.read_text())}
    documented = set(re.findall(r"^\| `(PAPPUS_[A-Z_]+)` \|", (ROOT / "docs" / "configuration.md").read_text(), re.M))
    assert len(read) > 20
    assert sorted(read - documented) == []
