"""bridge.toml validation: the example parses; every kind of mistake is named with its file and key path,
all at once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bridge.config.loader import MAX_CONFIG_BYTES, load_config, parse_config
from bridge.config.model import ConfigError, parse_listen

ROOT = Path(__file__).resolve().parents[3]
CANARY = "CANARY-7f3a"
ENV = {"COMMS_PROD_CLIENT_SECRET": CANARY, "COMMS_HQ_AMI_SECRET": CANARY}

MINIMAL = """
[environments.prod]
url = "https://contoso.crm4.dynamics.com"
tenant_id = "t"
client_id = "c"
client_secret_env = "COMMS_PROD_CLIENT_SECRET"

[systems.hq]
kind = "ami"
environments = ["prod"]
host = "10.0.0.5"
username = "crm"
password_env = "COMMS_HQ_AMI_SECRET"
"""


def problems_of(text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text.encode(), "bridge.toml", ENV if environ is None else environ)
    assert "bridge.toml" in str(caught.value)
    return caught.value.problems


def test_the_shipped_example_parses(tmp_path: Path) -> None:
    text = (ROOT / "deploy" / "bridge.example.toml").read_text()
    for name in ("branch-crm.secret", "branch-ns500.secret"):
        (tmp_path / name).write_text("s3cret\n")
    text = text.replace("/etc/commsuite/", f"{tmp_path}/")
    config = parse_config(text.encode(), "bridge.example.toml", ENV)
    assert set(config.systems) == {"hq-pbx", "branch-ns500", "warehouse-tes", "reception-cid"}
    assert config.systems["hq-pbx"].environments == ("prod", "branch-crm")
    assert config.systems["hq-pbx"].ami.secret.reveal() == CANARY
    assert config.systems["branch-ns500"].smdr_tcp.password.reveal() == "s3cret"
    assert config.systems["warehouse-tes"].serial.port == "/dev/ttyUSB0"
    assert config.systems["reception-cid"].callerid.device == "segal"
    assert config.systems["hq-pbx"].plan.line_release_prefix == "9"
    assert str(config.bridge.health_address) == "127.0.0.1:9108"
    assert config.environments["prod"].dataverse.client_secret.reveal() == CANARY


def test_minimal_file_takes_the_defaults() -> None:
    config = parse_config(MINIMAL.encode(), "bridge.toml", ENV)
    assert config.bridge.outbox == Path("/var/lib/commsuite/outbox.db")
    assert (config.bridge.health_address.port, config.bridge.console_address.port) == (9108, 9109)
    assert config.systems["hq"].ami.port == 5038 and config.systems["hq"].name == "hq"


def test_secrets_never_reach_reprs_or_problems(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = parse_config(MINIMAL.encode(), "bridge.toml", ENV)
    assert CANARY not in repr(config)
    bad = MINIMAL.replace('username = "crm"', 'username = "crm"\nport = "x"').replace(
        'password_env = "COMMS_HQ_AMI_SECRET"', f'password = "{CANARY}"\npassword_file = "/nope"'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(bad.encode(), "bridge.toml", ENV)
    assert CANARY not in str(caught.value) and CANARY not in caplog.text


@pytest.mark.parametrize(
    "edit, expected",
    [
        (('kind = "ami"', 'kind = "avaya"'), "systems.hq.kind: Input should be"),
        (('host = "10.0.0.5"', 'host = "10.0.0.5"\nport = 70000'), "systems.hq.port: Input should be less than"),
        (('host = "10.0.0.5"', 'host = "10.0.0.5"\nportt = 5038'), "systems.hq.portt: unknown key; check the spelling"),
        (('host = "10.0.0.5"', ""), "systems.hq.host: required for kind 'ami'"),
        (
            ('environments = ["prod"]', 'environments = ["staging"]'),
            "systems.hq.environments: no [environments.staging]",
        ),
        (('environments = ["prod"]', "environments = []"), "systems.hq.environments: Tuple should have at least 1"),
        (('environments = ["prod"]', 'environments = "prod"'), "systems.hq.environments: Input should be a valid"),
        (('password_env = "COMMS_HQ_AMI_SECRET"', 'password_env = "UNSET_VAR"'), "variable UNSET_VAR is not set"),
        (('password_env = "COMMS_HQ_AMI_SECRET"', 'password_file = "/no/such/file"'), "cannot read /no/such/file"),
        (('client_secret_env = "COMMS_PROD_CLIENT_SECRET"', ""), "environments.prod: give exactly one"),
        (
            ('url = "https://contoso.crm4.dynamics.com"', 'url = "contoso"'),
            "environments.prod.url: must be the environment URL",
        ),
        (("[systems.hq]", '[systems."hq pbx"]'), "systems.hq pbx: a system key is letters"),
        (("[systems.hq]", '[systems.hq.serial]\nport = "/dev/ttyS0"\n[systems.hq]'), "[systems.hq.serial]: not used"),
        (("[systems.hq]", '[systems.hq.ami]\ndialect = "klingon"\n[systems.hq]'), "systems.hq.ami.dialect: Input"),
        (
            ("[environments.prod]", '[bridge]\nhealth_listen = "localhost"\n[environments.prod]'),
            "bridge.health_listen: expected host:port",
        ),
        (
            ("[environments.prod]", '[bridge]\nlisteners = ["no-colon"]\n[environments.prod]'),
            "bridge.listeners: each listener is",
        ),
        (
            (
                "[environments.prod]",
                '[bridge]\nlisteners = ["bridge.plugins.notices:from_bridge"]\n[environments.prod]',
            ),
            "bridge.listeners: bridge.plugins.notices:from_bridge was split into "
            "bridge.plugins.notifications:from_bridge and bridge.plugins.autoregister:from_bridge; list those instead",
        ),
        (
            ("[environments.prod]", "[bridge]\nsettings_refresh_s = 0\n[environments.prod]"),
            "bridge.settings_refresh_s: Input should be greater than or equal to 1",
        ),
        (("[environments.prod]", "colour = 1\n[environments.prod]"), "colour: unknown top-level key"),
    ],
    ids=lambda value: value[1][:30] if isinstance(value, tuple) else str(value)[:30],
)
def test_each_mistake_is_named_by_its_key_path(edit: tuple[str, str], expected: str) -> None:
    problems = problems_of(MINIMAL.replace(*edit, 1))
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    text = (
        MINIMAL.replace("port", "x")
        .replace('kind = "ami"', 'kind = "ami"\nport = 0\nbogus = true')
        .replace('tenant_id = "t"', 'tenant_id = "t"\nbatch_size = 5000')
    )
    problems = problems_of(text)
    assert len(problems) >= 3
    assert any("systems.hq.port" in p for p in problems) and any("systems.hq.bogus" in p for p in problems)
    assert any("environments.prod.batch_size" in p for p in problems)


def test_serial_kinds_need_their_serial_table_and_refuse_network_keys() -> None:
    text = (
        MINIMAL + '\n[systems.tes]\nkind = "smdr-serial"\nenvironments = ["prod"]\nhost = "x"\n'
        '[systems.tes.smdr]\ndate_order = "backwards"\nbaud = 9600\n'
        '\n[systems.cid]\nkind = "callerid-serial"\nenvironments = ["prod"]\n'
        '[systems.cid.serial]\nport = "/dev/ttyUSB1"\nparity = "sideways"\n[systems.cid.callerid]\n'
        'device = "nokia"\n'
    )
    problems = problems_of(text)
    for expected in (
        "systems.tes.host: not used by kind 'smdr-serial'",
        "[systems.tes.serial]: required",
        "systems.tes.smdr: unknown key baud",
        "systems.tes.smdr: 'backwards' is not a valid DateOrder",
        "systems.cid.serial.parity: Input should be",
        "systems.cid.callerid.device: unknown caller-ID device",
    ):
        assert any(expected in p for p in problems), (expected, problems)


def test_plan_and_hidden_extensions_typed_in_persian_digits_are_ascii() -> None:
    """X-05: an admin on a Persian keyboard types ۲۱, ۹ and ۶۰۰; the PBX reports 21, 9 and 600."""
    text = (
        MINIMAL + 'hidden_extensions = ["۶۰۰", "٦٠١"]\n[systems.hq.plan]\ncity_code = "۲۱"\nline_release_prefix = "۹"\n'
    )
    system = parse_config(text.encode(), "bridge.toml", ENV).systems["hq"]
    assert system.hidden_extensions == {"600", "601"}
    assert (system.plan.city_code, system.plan.line_release_prefix) == ("21", "9")


def test_smdr_tcp_defaults_and_profile() -> None:
    text = (
        MINIMAL + '\n[systems.ns]\nkind = "smdr-tcp"\nenvironments = ["prod"]\nhost = "10.1.0.2"\n'
        '[systems.ns.smdr]\nmodel = "KX-NS500"\ncalendar = "jalali"\ntimezone = "Asia/Tehran"\n'
    )
    system = parse_config(text.encode(), "bridge.toml", ENV).systems["ns"]
    assert (system.smdr_tcp.port, system.smdr_tcp.user, system.smdr_tcp.password.reveal()) == (2300, "SMDR", "PCCSMDR")
    assert system.smdr_profile.calendar.value == "jalali" and str(system.smdr_profile.timezone) == "Asia/Tehran"
    bad = text.replace("Asia/Tehran", "Mars/Olympus")
    assert any("systems.ns.smdr.timezone: unknown time zone" in p for p in problems_of(bad))


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"[systems\nkind=", "not valid TOML"),
        (b"\xff\xfe[bridge]", "not UTF-8"),
        (b"systems = 3\nenvironments = []\n", "systems: expected a table, got integer"),
        (b"[bridge]\n", "no telephony system is configured"),
        (b'[bridge]\noutbox = ["a"]\n[systems.x]\nkind = "ami"', "bridge.outbox: Input is not a valid path"),
    ],
)
def test_hostile_or_broken_files_get_a_clear_error(data: bytes, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "bridge.toml", {})
    assert expected in str(caught.value)


def test_huge_or_missing_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"# " + b"x" * MAX_CONFIG_BYTES)
    with pytest.raises(ConfigError, match="larger than"):
        load_config(huge, {})
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "absent.toml", {})


def test_deeply_nested_tables_do_not_crash_the_loader() -> None:
    text = "[systems.hq.ami.channels]\n" + "x = " + "[" * 500 + "]" * 500 + "\n"
    with pytest.raises(ConfigError):
        parse_config(text.encode(), "bridge.toml", {})


@pytest.mark.parametrize(
    "text, host, port",
    [("127.0.0.1:9108", "127.0.0.1", 9108), ("[::1]:80", "::1", 80), ("localhost:0", "localhost", 0)],
)
def test_listen_addresses(text: str, host: str, port: int) -> None:
    address = parse_listen(text)
    assert (address.host, address.port) == (host, port)
    with pytest.raises(ValueError):
        parse_listen("127.0.0.1:99999")
