"""The SMS-only daemon signed in with NTLM to on-premises 9.0, killed with SIGKILL mid-bulk and restarted: every
member is texted exactly once (issue 14, §5 "reliability as online ... shown per profile").

The approach of tests/integration/daemon_sms/test_daemon_sms_kill.py (the fake Kavenegar holds its answer to the
first batch until the daemon is dead), against the onprem-9.0 profile, where the bulk's rows go out in ``$batch``
change sets instead of ``CreateMultiple``.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from dataverse_schema import sms as schema
from tests.integration.bridge.helpers import wait_until
from tests.integration.daemon_sms.test_daemon_sms_kill import MEMBERS, HeldProvider, _start
from tests.integration.daemon_sms.world import API_KEY, configure_crm, free_port
from tests.integration.sms_bulk_inbound import seed
from tests.integration.sms_bulk_inbound.test_sms_bulk import state_of

from .conftest import onprem_server
from .test_main_paths_per_profile import ntlm_daemon_config, ntlm_environ

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


@pytest.mark.parametrize("profile_name", ["onprem-9.0"])
def test_kill_9_mid_bulk_on_premises_texts_every_member_once(
    profile_name: str, tmp_path: Path, ntlm_client, monkeypatch
) -> None:
    for name, value in ntlm_environ(profile_name).items():
        monkeypatch.setenv(name, value)  # the daemon process inherits them (_start adds the token variables)
    log = tmp_path / "daemon.log"
    with (
        onprem_server(profile_name, tmp_path) as server,
        HeldProvider(api_key=API_KEY, sent_after_s=0.0, delivered_after_s=0.0) as provider,
    ):
        client, _ = ntlm_client(server)
        config = ntlm_daemon_config(tmp_path / "bridge.toml", server, free_port(), extra="bulk_interval_s = 1")
        account_id = configure_crm(client, provider.base_url)
        list_id = seed.static_list(client, "onprem-kill", seed.contacts(client, "onprem-kill", MEMBERS))
        bulk_id = seed.bulk(client, "onprem-kill", account_id=account_id, list_id=list_id, message="Branch closed")
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
        assert 0 < len(provider.sent) < MEMBERS
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
        assert not server.profile.ignored, server.profile.ignored
