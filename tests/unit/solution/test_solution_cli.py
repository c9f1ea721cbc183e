"""``commsuite solution build`` writes the requested zips and refuses a bad version (X-01)."""

from __future__ import annotations

import argparse
import zipfile

from cli import solution_cmd


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    solution_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["solution", "build", *argv])
    return args.func(args)


def test_build_writes_unmanaged_and_managed_by_default(tmp_path) -> None:
    assert run("--out", str(tmp_path), "--version", "3.1") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CommSuite_3_1_0_0.zip", "CommSuite_3_1_0_0_managed.zip"]
    with zipfile.ZipFile(tmp_path / "CommSuite_3_1_0_0_managed.zip") as archive:
        assert b"<Managed>1</Managed>" in archive.read("solution.xml")


def test_build_can_write_one_kind(tmp_path) -> None:
    assert run("--out", str(tmp_path), "--version", "3.1", "--unmanaged") == 0
    assert [p.name for p in tmp_path.iterdir()] == ["CommSuite_3_1_0_0.zip"]


def test_a_bad_version_writes_nothing(tmp_path, caplog) -> None:
    assert run("--out", str(tmp_path / "dist"), "--version", "next") == 2
    assert not (tmp_path / "dist").exists()
    assert "next" in caplog.text


def test_build_for_a_target_names_the_zip_after_it(tmp_path) -> None:
    assert run("--out", str(tmp_path), "--version", "3.1", "--unmanaged", "--target", "8.2") == 0
    assert [p.name for p in tmp_path.iterdir()] == ["CommSuite_3_1_0_0_target_CRM_8.2.zip"]
    with zipfile.ZipFile(tmp_path / "CommSuite_3_1_0_0_target_CRM_8.2.zip") as archive:
        assert b'SolutionPackageVersion="8.2"' in archive.read("solution.xml")
