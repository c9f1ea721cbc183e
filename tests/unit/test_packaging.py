"""What a fax host installs survives `./dev lock`, and the install lines and CI's Debian list name it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _extras() -> dict[str, list[str]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def _lock_body() -> str:
    text = (ROOT / "dev").read_text()
    return text[text.index("lock() {") :].split("\n}\n", 1)[0]


def test_the_fax_extra_carries_pillow_and_pywin32_on_windows():
    fax = _extras()["fax"]
    assert any(req.lower().startswith("pillow") for req in fax)
    assert any(req.startswith("pywin32") and "sys_platform == 'win32'" in req for req in fax)


def test_dev_lock_installs_the_fax_extra_so_pillow_stays_pinned():
    extras = re.search(r'^lock_extras="([a-z,]+)"', (ROOT / "dev").read_text(), re.MULTILINE)
    assert extras is not None and "fax" in extras.group(1).split(",")
    assert 'pip install --quiet ".[$lock_extras]"' in _lock_body()
    assert re.search(r"^pillow==\d", (ROOT / "constraints.txt").read_text(), re.MULTILINE | re.IGNORECASE)


def test_the_bridge_install_lines_include_the_fax_extra():
    installs = [line for line in (ROOT / "docs" / "bridge.md").read_text().splitlines() if "pip install -c" in line]
    assert len(installs) == 2
    assert all("commsuite[fax]" in line for line in installs)


def test_ci_installs_the_document_converters():
    packages = re.search(r"debian_packages=\(([^)]*)\)", (ROOT / "dev").read_text())
    assert packages is not None
    converters = {"libreoffice-writer-nogui", "libreoffice-calc-nogui", "ghostscript", "hylafax-server"}
    header_font = {"fonts-dejavu-core", "libfribidi0"}  # the company header: a font with Arabic, raqm's FriBiDi
    assert converters | header_font <= set(packages.group(1).split())
