"""``commsuite bridge check`` against the AMI and Dataverse emulators: passes, and plain-words failures."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from bridge.config.loader import parse_config
from bridge.runtime.check import EXTRA_CHECKS, register_check, run_checks
from bridge.runtime.check_result import CheckResult
from cli.main import main as commsuite
from emulator.ami import AmiServer
from emulator.server import EmulatorServer, FaultPlan

from .helpers import bridge_toml

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_checks_pass_and_fail_in_plain_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bridge.runtime.check.EXTRA_CHECKS", {})
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:

        async def main() -> list[CheckResult]:
            ami = await AmiServer(dialect="modern").start()
            try:
                text = bridge_toml(
                    outbox=str(tmp_path / "outbox.db"),
                    ami_port=ami.port,
                    environments={"crm": crm.origin, "gone": f"http://127.0.0.1:{_closed_port()}"},
                )
                text += (
                    f'\n[systems.wrong]\nkind = "ami"\nenvironments = ["crm"]\nhost = "127.0.0.1"\n'
                    f'port = {ami.port}\nusername = "crm"\npassword = "not-it"\n'
                    f'\n[systems.tty]\nkind = "smdr-serial"\nenvironments = ["crm"]\n'
                    f'[systems.tty.serial]\nport = "{tmp_path}/no-such-tty"\n'
                )
                return await run_checks(parse_config(text.encode(), "bridge.toml", {}), timeout_s=5)
            finally:
                await ami.stop()

        results = {r.name.split(" (")[0]: r for r in asyncio.run(main())}
    assert results["system pbx-hq"].ok and "logged in, 18.20.0" in results["system pbx-hq"].detail
    assert not results["system wrong"].ok and "refused the username or password" in results["system wrong"].detail
    assert not results["system tty"].ok and "dialout group" in results["system tty"].detail
    assert results["environment crm"].ok and "signed in as application user" in results["environment crm"].detail
    assert not results["environment gone"].ok and "cannot reach Dataverse" in results["environment gone"].detail
    assert results[f"outbox {tmp_path}/outbox.db"].ok
    assert results["plug-in tests.integration.bridge.call_listener:from_bridge"].ok
    recordings = results["recordings"]
    assert (
        recordings.ok and not recordings.is_configured and recordings.line() == "--   recordings (SFTP): not configured"
    )


def test_registered_checks_run_and_the_command_exits_non_zero_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("bridge.runtime.check.EXTRA_CHECKS", dict(EXTRA_CHECKS))

    async def sftp_check(config) -> list[CheckResult]:
        return [CheckResult("recordings (SFTP) hq-pbx", False, "host key does not match; fix known_hosts")]

    register_check("recordings", sftp_check)
    config = tmp_path / "bridge.toml"
    config.write_text(
        bridge_toml(
            outbox=str(tmp_path / "outbox.db"),
            ami_port=_closed_port(),
            environments={"crm": f"http://127.0.0.1:{_closed_port()}"},
        )
    )
    assert commsuite(["bridge", "check", "--config", str(config), "--timeout", "3"]) == 1
    out = capsys.readouterr().out
    assert "FAIL system pbx-hq" in out and "check host and port, the firewall" in out
    assert "FAIL recordings (SFTP) hq-pbx: host key does not match" in out and "check(s) failed" in out
    config.write_text("[bridge]\nbogus = 1\n")
    assert commsuite(["bridge", "check", "--config", str(config)]) == 2
