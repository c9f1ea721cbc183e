"""``[fax]`` of bridge.toml: servers validated with their connector's settings, mistakes named by key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config.loader import load_config
from bridge.config.model import ConfigError

BASE = """
[bridge]
outbox = "{outbox}"
[environments.prod]
url = "https://org.crm.dynamics.com"
static_token_env = "TOKEN"
[systems.pbx]
kind = "smdr-tcp"
environments = ["prod"]
host = "pbx.example.test"
port = 2300
[systems.pbx.smdr]
model = "KX-NS"
"""


def load(tmp_path: Path, extra: str):
    path = tmp_path / "bridge.toml"
    path.write_text(BASE.format(outbox=tmp_path / "outbox.db") + extra)
    return load_config(path, environ={"TOKEN": "t", "FAX_PW": "s3cret"})


def test_no_fax_table_is_off(tmp_path):
    assert load(tmp_path, "").fax is None


def test_a_hylafax_server_with_a_secret_ref_and_intervals(tmp_path):
    config = load(
        tmp_path,
        """
[fax.servers.hq]
kind = "hylafax"
environment = "prod"
host = "fax.example.test"
user = "commsuite"
password_env = "FAX_PW"
status_interval_s = 30
""",
    )
    server = config.fax.servers["hq"]
    assert server.kind == "hylafax" and server.settings.host == "fax.example.test"
    assert server.settings.password.reveal() == "s3cret" and server.polling.status_interval_s == 30


def test_mistakes_are_named_by_key_path_all_at_once(tmp_path):
    with pytest.raises(ConfigError) as error:
        load(
            tmp_path,
            """
[fax.servers.a]
kind = "telex"
environment = "prod"
[fax.servers.b]
kind = "hylafax"
environment = "nowhere"
[fax.servers.c]
kind = "hylafax"
environment = "prod"
host = "h"
user = "u"
colour = "blue"
""",
        )
    text = str(error.value)
    assert "fax.servers.a.kind" in text and "fax.servers.b.environment" in text
    assert "fax.servers.c.colour: unknown key" in text and "s3cret" not in text
