"""``commsuite emulator`` as a process: the Dataverse emulator, and the fake SMS provider beside it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

pytestmark = pytest.mark.integration


def _start(tmp_path, *extra: str) -> tuple[subprocess.Popen, dict[str, str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "emulator",
            "--port",
            "0",
            "--db",
            str(tmp_path / "e.db"),
            "--throttle",
            "off",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    urls: dict[str, str] = {}
    for line in process.stdout:
        name, _, url = line.rpartition(": ")
        urls[name] = url.strip()
        if name.startswith("Fake SMS provider (Kavenegar SOAP)") or ("--sms-port" not in extra and urls):
            break
    return process, urls


def test_the_fake_sms_provider_answers_in_kavenegar_format_beside_the_emulator(tmp_path):
    process, urls = _start(tmp_path, "--sms-port", "0", "--sms-key", "k-123")
    try:
        rest = urls["Fake SMS provider (Kavenegar REST)"]
        with urllib.request.urlopen(f"{rest}/k-123/account/info.json", timeout=10) as reply:
            body = json.load(reply)
        assert body["return"]["status"] == 200 and "remaincredit" in body["entries"]
        who_am_i = urllib.request.Request(
            urls["Dataverse emulator"] + "WhoAmI", headers={"Authorization": "Bearer any-token"}
        )
        with urllib.request.urlopen(who_am_i, timeout=10) as reply:
            assert "UserId" in json.load(reply)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_busy_sms_port_is_a_clear_failure(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "emulator",
                "--port",
                "0",
                "--db",
                str(tmp_path / "e.db"),
                "--sms-port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1 and "cannot serve the fake SMS provider" in result.stderr
