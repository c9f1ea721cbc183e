"""The AMI user's classes are named the same in the set-up guide and in the example config (issue 11, 1.9)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NEEDED = {
    "read": {"system", "call", "agent", "user", "dialplan", "cdr"},
    "write": {"system", "originate", "reporting", "command"},
}


def classes(text: str, kind: str) -> set[str]:
    found = re.search(rf"^[#\s]*{kind}\s*=\s*([a-z,]+)", text, re.MULTILINE)
    assert found, f"no {kind} = line"
    return set(found.group(1).split(","))


def test_the_guide_and_the_example_config_name_the_same_minimal_classes():
    guide = (ROOT / "docs" / "asterisk.md").read_text(encoding="utf-8")
    example = (ROOT / "deploy" / "bridge.example.toml").read_text(encoding="utf-8")
    for kind, needed in NEEDED.items():
        assert classes(guide, kind) == needed
        assert classes(example, kind) == needed


def test_the_guide_says_why_each_class_is_needed():
    guide = (ROOT / "docs" / "asterisk.md").read_text(encoding="utf-8")
    for name in set().union(*NEEDED.values()):
        assert re.search(rf"^\| `{name}` \| (read|write) \|", guide, re.MULTILINE), name
