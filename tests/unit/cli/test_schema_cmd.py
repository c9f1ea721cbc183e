"""``commsuite schema show`` / ``apply`` through their own argument parser."""

from __future__ import annotations

import argparse
import json

import pytest

from cli import schema_cmd


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="commsuite")
    schema_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_show_json_prints_the_web_api_bodies(capsys):
    assert run("schema", "show", "--table", "comms_sms", "--format", "json") == 0
    (payload,) = json.loads(capsys.readouterr().out)
    assert payload["table"] == "comms_sms"
    assert payload["entity"]["IsActivity"] is True
    assert any(k["KeyAttributes"] == ["comms_provideraccountkey", "comms_providermessageid"] for k in payload["keys"])


def test_show_text_lists_the_suite_columns_only_on_standard_tables(capsys):
    assert run("schema", "show", "--table", "phonecall") == 0
    out = capsys.readouterr().out
    assert "comms_pbxcallid" in out and "phonenumber" not in out


def test_unknown_table_is_a_clear_error(caplog):
    assert run("schema", "show", "--table", "comms_nothing") == 2
    assert "comms_nothing" in caplog.text


def test_url_without_credentials_uses_a_static_token_for_the_emulator():
    env = schema_cmd.client_environment({}, "http://127.0.0.1:8765")
    assert env == {"COMMS_DATAVERSE_URL": "http://127.0.0.1:8765", "COMMS_DATAVERSE_STATIC_TOKEN": "emulator"}
    with_app = schema_cmd.client_environment({"COMMS_CLIENT_SECRET": "s"}, "https://org.crm4.dynamics.com")
    assert "COMMS_DATAVERSE_STATIC_TOKEN" not in with_app


def test_apply_without_any_settings_explains_what_is_missing(caplog):
    assert run("schema", "apply", "--dry-run") == 2
    assert "COMMS_DATAVERSE_URL" in caplog.text


@pytest.mark.parametrize("argv", [("schema", "apply", "--url", "http://127.0.0.1:1", "--table", "nothing")])
def test_apply_refuses_an_unknown_table(argv, caplog):
    assert run(*argv) == 2
    assert "nothing" in caplog.text
