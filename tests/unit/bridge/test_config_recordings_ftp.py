"""``[systems.<key>.recordings]`` with ``kind = "ftp"`` (CALL-38): port, root, TLS and passive mode from the file."""

from __future__ import annotations

from bridge.config.loader import parse_config
from bridge.plugins.recordings import build_store
from connectors.recordings.ftp import FtpRecordingStore, FtpSettings

from .test_config_recordings import BASE, WHERE, parse, problems

FTP = """
[systems.hq.recordings]
kind = "ftp"
host = "10.0.0.9"
port = 2121
username = "recorder"
password_env = "REC_FTP_SECRET"
root = "/recordings/hq"
tls = "required"
passive = false
first_delay_s = 3
"""


def test_an_ftp_store_takes_its_port_root_tls_and_mode_from_the_file() -> None:
    config = parse_config((BASE + FTP).encode(), "bridge.toml", {"REC_FTP_SECRET": "ftp-secret-1"})
    settings = config.systems["hq"].recordings
    assert isinstance(settings, FtpSettings)
    assert (settings.port, settings.root, settings.tls, settings.passive) == (2121, "/recordings/hq", "required", False)
    assert settings.password.reveal() == "ftp-secret-1" and "ftp-secret-1" not in repr(settings)
    store = build_store(config.systems["hq"])
    assert isinstance(store, FtpRecordingStore) and store.root == "/recordings/hq"


def test_ftp_mistakes_are_named_by_key_path() -> None:
    with_password = FTP.replace('password_env = "REC_FTP_SECRET"', 'password = "p"')
    assert f"{WHERE}.tls: " in problems(with_password.replace('tls = "required"', 'tls = "sometimes"'))
    assert "must be an absolute path" in problems(with_password.replace('root = "/recordings/hq"', 'root = "../etc"'))
    assert f"{WHERE}.hostname: unknown key" in problems(with_password + 'hostname = "x"\n')
    assert "'ftp'" in problems('\n[systems.hq.recordings]\nkind = "gopher"\n')
    assert parse("") is not None
