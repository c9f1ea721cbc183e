"""The README's first command, run in-process on a temporary directory."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cli.main import main

# The demo sends a fax through the machine-wide hfaxd, which one fax integration test restarts.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("hylafax")]


def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "second run changed nothing" in out
    assert "2 upserts -> 1 record" in out
    assert "3/3 sample callers matched" in out
    assert "3 replays -> 1 phone call" in out
    assert "100/100 records stored, none lost" in out
    assert "fax: sent" in out and "fax: received" in out and "matched to account " in out
    zips = sorted((tmp_path / "demo" / "dist").glob("*.zip"))
    assert [z.name for z in zips] == ["CommSuite_0_1_0_0.zip", "CommSuite_0_1_0_0_managed.zip"]
    with zipfile.ZipFile(zips[0]) as package:
        assert {"solution.xml", "customizations.xml", "[Content_Types].xml"} <= set(package.namelist())


def test_demo_keep_reuses_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = str(tmp_path / "demo")
    assert main(["demo", "--dir", directory]) == 0
    capsys.readouterr()
    assert main(["demo", "--dir", directory, "--keep"]) == 0
    out = capsys.readouterr().out
    assert "schema apply: created 0 components" in out
    assert "second run changed nothing" in out
