"""``commsuite solution connector`` and ``solution build --org-url`` write the connector folder (X-02)."""

from __future__ import annotations

import argparse
import json

from cli import solution_cmd

ORG = "https://contoso.crm.dynamics.com"
CLIENT = "0a1b2c3d-0000-4000-8000-00000000abcd"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    solution_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["solution", *argv])
    return args.func(args)


def test_connector_writes_the_two_files_paconn_reads(tmp_path) -> None:
    assert run("connector", "--org-url", ORG, "--client-id", CLIENT, "--out", str(tmp_path), "--version", "3.1") == 0
    folder = tmp_path / "CommSuite-connector"
    assert sorted(p.name for p in folder.iterdir()) == ["apiDefinition.swagger.json", "apiProperties.json"]
    definition = json.loads((folder / "apiDefinition.swagger.json").read_text("utf-8"))
    assert (definition["host"], definition["info"]["version"]) == ("contoso.crm.dynamics.com", "3.1.0.0")


def test_the_solution_build_writes_the_connector_beside_the_zips_when_asked(tmp_path) -> None:
    options = ("--org-url", ORG, "--client-id", CLIENT)
    assert run("build", "--out", str(tmp_path), "--version", "3.1", "--unmanaged", *options) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CommSuite-connector", "CommSuite_3_1_0_0.zip"]


def test_an_org_url_without_a_client_id_writes_nothing(tmp_path, caplog) -> None:
    assert run("build", "--out", str(tmp_path / "dist"), "--version", "3.1", "--org-url", ORG) == 2
    assert not (tmp_path / "dist").exists()
    assert "--client-id" in caplog.text


def test_a_bad_org_url_is_refused_in_plain_words(tmp_path, caplog) -> None:
    assert run("connector", "--org-url", "http://contoso", "--client-id", CLIENT, "--out", str(tmp_path)) == 2
    assert not (tmp_path / "CommSuite-connector").exists()
    assert "must start with https://" in caplog.text
