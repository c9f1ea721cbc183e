"""The optional tables of bridge.toml: console, recordings, click-to-call, matching."""

from __future__ import annotations

import pytest

from bridge.config.loader import parse_config
from bridge.config.model import ConfigError
from bridge.config.parts import FolderRecordings
from services.matching.tables import DEFAULT_TABLES

BASE = """
[environments.prod]
url = "https://contoso.crm4.dynamics.com"
static_token = "t"
[environments.branch]
url = "https://branch.crm4.dynamics.com"
static_token = "t"
[systems.hq]
kind = "ami"
environments = ["prod"]
host = "10.0.0.5"
username = "crm"
password = "x"
"""
ENV = {"TOKEN": "a-console-token-long-enough", "SB": "Endpoint=sb://x/;SharedAccessKey=secret-value"}


def parse(extra: str):
    return parse_config((BASE + extra).encode(), "bridge.toml", ENV)


def test_absent_parts_are_off_and_matching_defaults() -> None:
    config = parse("")
    assert config.console is None and config.click_to_call == ()
    assert [t.name for t in config.matching.tables] == ["contact", "account", "lead", "systemuser"]
    assert config.matching.tables == DEFAULT_TABLES  # the one declaration the SMS services match with too
    assert config.systems["hq"].recordings is None
    assert config.systems["hq"].raw_journal.name == "raw-frames.db"


def test_every_part_parses() -> None:
    config = parse("""
[systems.hq.recordings]
kind = "folder"
root = "/mnt/rec"
[console]
org_url = "https://contoso.crm4.dynamics.com"
[[console.users]]
user_id = "ABC"
token_env = "TOKEN"
[click_to_call]
environments = ["prod"]
poll_interval_s = 1
[click_to_call.service_bus]
connection_string_env = "SB"
[matching]
refresh_s = 30
[[matching.tables]]
name = "contact"
columns = ["mobilephone"]
""")
    assert config.systems["hq"].recordings == FolderRecordings(root=__import__("pathlib").Path("/mnt/rec"))
    assert config.console.users[0].user_id == "abc" and config.console.host == "127.0.0.1"
    assert config.click_to_call[0].environment == "prod"
    assert config.click_to_call[0].service_bus.connection_string.reveal().startswith("Endpoint")
    assert config.matching.tables[0].columns == ("mobilephone",) and config.matching.refresh_s == 30


def test_mistakes_are_named_and_secrets_never_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("""
[systems.hq.recordings]
kind = "gopher"
[console]
users = "everyone"
[click_to_call]
environments = ["nowhere"]
[matching]
tables = [{ name = "custom_table" }]
""")
    text = str(caught.value)
    assert "systems.hq.recordings.kind" in text and "console.users" in text
    assert "click_to_call.environments" in text and "matching.tables.0" in text
    with pytest.raises(ConfigError) as caught:
        parse('[click_to_call]\n[click_to_call.service_bus]\nconnection_string_env = "SB"\n')
    assert "exactly" in str(caught.value) and "secret-value" not in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        parse(
            '[systems.hq.recordings]\nkind = "sftp"\nhost = "h"\nusername = "u"\nknown_hosts = "/k"\n'
            'password = "hunter2-secret"\nport = 70000\n'
        )
    assert "systems.hq.recordings.port" in str(caught.value) and "hunter2" not in str(caught.value)


def test_a_table_the_schema_knows_takes_its_declared_phone_columns() -> None:
    config = parse(
        '[[matching.tables]]\nname = "lead"\n[[matching.tables]]\nname = "contact"\ncolumns = ["mobilephone"]\n'
    )
    lead, contact = config.matching.tables
    assert lead == DEFAULT_TABLES[2] and contact.columns == ("mobilephone",) and contact.name_column == "fullname"
