"""Read-once inbound texts the daemon could not store survive ``kill -9`` in its SQLite hold and are stored once
after the restart (SMS-21 without Service Bus; issue 14, §4).

A separate process keeps two texts in the hold file beside the daemon's outbox, as the inbound poll does when
Dataverse refuses them, and is killed with SIGKILL. The restarted daemon drains the hold at start-up: the keyword
text opens exactly one Case, the hold is empty, and a second start stores nothing twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.sms.hold import FILE_NAME, LocalHold
from connectors.dataverse import odata
from tests.integration.bridge.helpers import wait_until

from .world import ACCOUNT_KEY, CASE_TITLE, ENVIRON, LINE, DaemonThread, configure_crm, write_config

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[3]
_KEEP = """
import sys
from datetime import UTC, datetime
from bridge.sms.hold import LocalHold
from domain.sms import InboundSms
at = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LocalHold(sys.argv[1]).keep(sys.argv[2], [
    InboundSms(provider_id="held-1", sender="09121234567", line=sys.argv[3], text="بحرانی: قطع است", received_at=at),
    InboundSms(provider_id="held-2", sender="09121234567", line=sys.argv[3], text="thanks", received_at=at),
])
print("kept", flush=True)
sys.stdin.read()
"""


def _cases(client) -> list[dict]:
    return list(client.query("incidents", select=["title"], filter=odata.eq("title", CASE_TITLE)))


def test_held_texts_survive_kill_9_and_are_stored_once_after_the_restart(
    tmp_path: Path, emulator, client, sms_port, monkeypatch
) -> None:
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    configure_crm(client, "http://127.0.0.1:9")  # the provider is not asked: the texts are already held
    client.create("contacts", {"firstname": "Ali", "lastname": "Rezaei", "mobilephone": "09121234567"})
    config = write_config(tmp_path / "bridge.toml", emulator.origin, sms_port)
    hold_path = tmp_path / FILE_NAME  # beside outbox.db
    keeper = subprocess.Popen(
        [sys.executable, "-c", _KEEP, str(hold_path), ACCOUNT_KEY, LINE],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert keeper.stdout is not None and keeper.stdout.readline().strip() == b"kept"
        keeper.send_signal(signal.SIGKILL)
        assert keeper.wait(30) == -signal.SIGKILL
    finally:
        if keeper.poll() is None:
            keeper.kill()
    assert LocalHold(hold_path).waiting() == [f"{ACCOUNT_KEY}/held-1", f"{ACCOUNT_KEY}/held-2"]
    with DaemonThread(config, ENVIRON):
        wait_until(lambda: not LocalHold(hold_path).waiting(), 30, "the daemon to drain its inbound hold")
    assert [c["title"] for c in _cases(client)] == [CASE_TITLE]
    LocalHold(hold_path).keep(ACCOUNT_KEY, [])  # the file is still usable
    with DaemonThread(config, ENVIRON) as again:
        again.run_job("sms_inbound_poll")
    assert [c["title"] for c in _cases(client)] == [CASE_TITLE]
