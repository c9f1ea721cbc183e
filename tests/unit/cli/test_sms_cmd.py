"""``commsuite sms test-send``: the password comes from the environment, the outcome is printed as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import responses

from cli.main import main

PANEL = Path(__file__).resolve().parents[3] / "connectors" / "sms" / "panels" / "adp.json"


def test_test_send_prints_the_outcome_and_exits_0_when_accepted(monkeypatch, capsys):
    monkeypatch.setenv("ADP_PW", "adp-secret")
    with responses.RequestsMock() as wire:
        wire.get(
            "http://ws.adpdigital.com/url/send",
            body="4455",
            match=[
                responses.matchers.query_param_matcher(
                    {
                        "username": "acme",
                        "password": "adp-secret",
                        "dstaddress": "989121234567",
                        "body": "hello",
                        "clientid": "98200049",
                        "type": "text",
                        "unicode": "1",
                    }
                )
            ],
        )
        code = main(
            [
                "sms",
                "test-send",
                "--description",
                str(PANEL),
                "--to",
                "09121234567",
                "--text",
                "hello",
                "--username",
                "acme",
                "--sender",
                "98200049",
                "--password-env",
                "ADP_PW",
            ]
        )
    printed = json.loads(capsys.readouterr().out)
    assert (code, printed["ok"], printed["message_id"], printed["raw_reply"]) == (0, True, "4455", "4455")


def test_test_send_needs_the_password_variable(monkeypatch, capsys):
    monkeypatch.delenv("COMMSUITE_PANEL_PASSWORD", raising=False)
    assert main(["sms", "test-send", "--description", str(PANEL), "--to", "09121234567"]) == 2
    assert "COMMSUITE_PANEL_PASSWORD" in capsys.readouterr().err
