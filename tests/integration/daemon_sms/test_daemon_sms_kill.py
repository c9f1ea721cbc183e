"""``commsuite bridge run`` with only ``[sms]`` killed with SIGKILL mid-bulk, then restarted: every member of the
bulk is texted exactly once, none is missed (issue 14, §5 "reliability as online ... shown per profile").

Once per profile: ``online`` (a bearer token, ``CreateMultiple``) and ``onprem-9.0`` (NTLM sign-in, the bulk's
rows in ``$batch`` change sets).

The fake Kavenegar holds its answer to the first batch it accepted until the
daemon is dead, so the kill lands after the provider took the texts and before
the daemon learnt their ids: the case a restart must not send twice. The
restarted daemon's bulk job resumes from the bulk's cursor and asks the
provider about the open attempts by our ids. Waiting for the separate process
to finish its work reads the CRM, as the telephony daemon's restart test does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from connectors.dataverse import DataverseClient, StaticToken
from connectors.dataverse.settings import make_client
from dataverse_schema import sms as schema
from emulator.server import EmulatorServer, FaultPlan
from emulator.sms_provider import FakeSmsProviderServer
from tests.integration.bridge.helpers import wait_until
from tests.integration.onprem.conftest import ntlm_settings, onprem_server
from tests.integration.onprem.test_main_paths_per_profile import ntlm_daemon_config, ntlm_environ
from tests.integration.sms_bulk_inbound import seed
from tests.integration.sms_bulk_inbound.test_sms_bulk import state_of

from .world import API_KEY, ENVIRON, TOKEN, configure_crm, free_port, write_config

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
MEMBERS = 250  # two provider batches (Kavenegar takes 200 at a time)


class HeldProvider(FakeSmsProviderServer):
    """The fake Kavenegar; the first accepted batch's answer waits until :attr:`release` is set."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.accepted, self.release = threading.Event(), threading.Event()
        send = self.state.send

        def held_send(items):
            messages = send(items)
            if not self.accepted.is_set():
                self.accepted.set()
                self.release.wait(60)
            return messages

        self.state.send = held_send  # type: ignore[method-assign]


def _start(config: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, **ENVIRON, "PYTHONPATH": str(ROOT)}
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "bridge", "run", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def _world(profile_name: str, directory: Path, monkeypatch) -> Iterator[tuple[EmulatorServer, DataverseClient, Path]]:
    """The emulator playing ``profile_name``, a client signed in as the daemon will be, and the daemon's config."""
    config = directory / "bridge.toml"
    extra = "bulk_interval_s = 1"
    with requests.Session() as session:
        if profile_name == "online":
            with EmulatorServer(
                directory / "dataverse.db", faults=FaultPlan.none(), token=TOKEN, key_activation_s=0
            ) as server:
                client = DataverseClient(
                    base_url=server.origin, session=session, token_provider=StaticToken(TOKEN), retry=None
                )
                yield server, client, write_config(config, server.origin, free_port(), extra=extra)
            return
        for name, value in ntlm_environ(profile_name).items():
            monkeypatch.setenv(name, value)  # the daemon process inherits them (_start adds the token variables)
        with onprem_server(profile_name, directory) as server:
            client = make_client(ntlm_settings(server), session)
            yield server, client, ntlm_daemon_config(config, server, free_port(), extra=extra)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("profile_name", ["online", "onprem-9.0"])
def test_kill_9_mid_bulk_then_restart_texts_every_member_once(tmp_path: Path, profile_name: str, monkeypatch) -> None:
    log = tmp_path / "daemon.log"
    with (
        _world(profile_name, tmp_path, monkeypatch) as (server, client, config),
        HeldProvider(api_key=API_KEY, sent_after_s=0.0, delivered_after_s=0.0) as provider,
    ):
        account_id = configure_crm(client, provider.base_url)
        contact_ids = seed.contacts(client, "daemon-kill", MEMBERS)
        list_id = seed.static_list(client, "daemon-kill", contact_ids)
        bulk_id = seed.bulk(client, "daemon-kill", account_id=account_id, list_id=list_id, message="Branch closed")
        client.update("comms_smsbulks", bulk_id, {"comms_istransactional": True})
        daemon = _start(config, log)
        try:
            assert provider.accepted.wait(60), log.read_text(errors="replace")
            daemon.send_signal(signal.SIGKILL)
            assert daemon.wait(30) == -signal.SIGKILL
        finally:
            provider.release.set()
            if daemon.poll() is None:
                daemon.kill()
        first_run = len(provider.sent)
        assert 0 < first_run < MEMBERS
        daemon = _start(config, log)
        try:
            completed = schema.BULK_STATE.value_of("Completed")
            wait_until(
                lambda: state_of(client, bulk_id)["comms_bulkstate"] == completed,
                90,
                "the restarted daemon to complete the bulk",
            )
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(30) == 0, log.read_text(errors="replace")
        assert Counter(m["receptor"] for m in provider.sent) == Counter(f"0912{n:07d}" for n in range(MEMBERS))
        record = state_of(client, bulk_id)
        assert (record["comms_sentcount"], record["comms_failedcount"]) == (MEMBERS, 0)
        rows = seed.bulk_rows(client, bulk_id)
        assert len(rows) == MEMBERS and all(r["comms_providermessageid"] for r in rows)
        assert not server.profile.ignored, server.profile.ignored  # nothing the version does not understand
