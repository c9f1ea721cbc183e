"""An SMS-only daemon (``[sms]``, no ``[systems]``) against the Dataverse emulator and the fake Kavenegar.

:func:`write_config` writes the ``bridge.toml``; :class:`DaemonThread` runs the
daemon on its own event loop in a thread (as ``commsuite bridge run`` does,
plug-ins and all) and runs its jobs only on request (its scheduler never fires on
its own, so a job cannot start in the middle of a test because a minute turned
over); :func:`configure_crm` puts the
demo's SMS set-up into the CRM: a default Kavenegar account on the fake, a line,
a keyword rule that opens a Case.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from bridge.config.loader import load_config
from bridge.plugins.sms import sms_host
from bridge.runtime.daemon import Bridge
from bridge.sms.host import SmsHost
from bridge.sms.schedule import Scheduler
from connectors.dataverse import AlternateKey, DataverseClient, RecordId, bind, deterministic_id
from connectors.settings import Secret
from dataverse_schema import sms as schema
from dataverse_schema.names import KeywordRule, SmsNumber, SmsProvider
from services.factory import utc_now
from services.sms.webhook_auth import Endpoint, webhook_token

ACCOUNT_KEY, LINE = "onprem-kavenegar", "3000202030"
API_KEY, API_KEY_SETTING = "onprem-kavenegar-key", "COMMS_ONPREM_KAVENEGAR_KEY"
WEBHOOK_KEY, PUSH_KEY, TOKEN = "onprem-webhook-key", "onprem-push-key", "daemon-sms-test"
ENVIRON = {API_KEY_SETTING: API_KEY, "SMS_WEBHOOK_KEY": WEBHOOK_KEY, "SMS_PUSH_KEY": PUSH_KEY, "CRM_TOKEN": TOKEN}
CASE_TITLE = "Critical problem reported by SMS"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path: Path, origin: str, sms_port: int, *, extra: str = "") -> Path:
    path.write_text(
        f"""
[bridge]
outbox = "{path.parent / "outbox.db"}"
health_listen = "127.0.0.1:0"

[environments.crm]
url = "{origin}"
static_token_env = "CRM_TOKEN"

[sms]
environment = "crm"
listen = "127.0.0.1:{sms_port}"
public_url = "http://127.0.0.1:{sms_port}"
webhook_key_env = "SMS_WEBHOOK_KEY"
push_key_env = "SMS_PUSH_KEY"
missed_after_s = 0
{extra}
""",
        encoding="utf-8",
    )
    return path


def webhook_urls(sms_port: int) -> dict[str, str]:
    """The delivery and inbound URLs the provider is given, with the account's tokens."""
    origin = f"http://127.0.0.1:{sms_port}/sms"
    dlr = webhook_token(Secret(WEBHOOK_KEY), ACCOUNT_KEY, Endpoint.DELIVERY)
    inbound = webhook_token(Secret(WEBHOOK_KEY), ACCOUNT_KEY, Endpoint.INBOUND)
    return {
        "delivery_url": f"{origin}/dlr/{ACCOUNT_KEY}?token={dlr}",
        "inbound_url": f"{origin}/inbound/{ACCOUNT_KEY}?token={inbound}",
    }


def default_account(client: DataverseClient, fields: dict[str, Any], line: str, *, receives: bool) -> str:
    """The default provider account of ``fields`` (by its account key) and its default ``line``, which receives
    texts if ``receives``; returns the account id."""
    key = AlternateKey({"comms_accountkey": fields["comms_accountkey"]})
    client.upsert("comms_smsproviders", key, {**fields, "comms_isdefault": True})
    account_id = client.retrieve("comms_smsproviders", key, select=["comms_smsproviderid"])["comms_smsproviderid"]
    client.upsert(
        "comms_smsnumbers",
        AlternateKey({"comms_number": line}),
        {
            "comms_name": f"Line {line}",
            "comms_cansend": True,
            **({"comms_canreceive": True} if receives else {}),
            "comms_isdefault": True,
            **bind(SmsNumber.SMSPROVIDERID_NAV, SmsProvider.SET, account_id),
        },
    )
    return account_id


def case_rule(client: DataverseClient, tag: str) -> None:
    """A «critical» / «بحرانی» keyword rule that opens a case (``CASE_TITLE``) for the Support team."""
    team_id = deterministic_id(f"{tag}-team", "support")
    client.upsert("teams", RecordId(team_id), {"name": "Support"})
    client.upsert(
        schema.KEYWORD_RULE.entity_set_name,
        RecordId(deterministic_id(f"{tag}-rule", "critical")),
        {
            "comms_name": "critical",
            "comms_keywords": "critical,بحرانی",
            "comms_order": 10,
            "comms_action": schema.RULE_ACTIONS.value_of("Create case"),
            "comms_casetitle": CASE_TITLE,
            **bind(KeywordRule.TEAMID_NAV, "teams", team_id),
        },
    )


def configure_crm(client: DataverseClient, base_url: str) -> str:
    """The provider account (default), its line and a «بحرانی» → Case rule; returns the account id."""
    account_id = default_account(
        client,
        {
            "comms_name": "Kavenegar (on-premises)",
            "comms_accountkey": ACCOUNT_KEY,
            "comms_providerkind": "kavenegar",
            "comms_baseurl": base_url,
            "comms_credentialreference": API_KEY_SETTING,
            "comms_settings": json.dumps({"default_sender": LINE, "inbound_lines": [LINE]}),
            "comms_pollintervalseconds": 0,
            "comms_maxattempts": 3,
            "comms_retryintervalseconds": 60,
        },
        LINE,
        receives=True,
    )
    case_rule(client, "daemon-sms")
    return account_id


async def _until_stopped(_seconds: float) -> None:
    """The scheduler's wait for a job's next time, which never ends: jobs run by :meth:`DaemonThread.run_job`."""
    await asyncio.Event().wait()


class DaemonThread:
    """The daemon of ``config`` on its own loop; :meth:`run_job` runs one of its SMS jobs now."""

    def __init__(self, config: Path, environ: dict[str, str]):
        self.bridge = Bridge(load_config(config, environ))
        self.bridge.load_plugins()
        host = sms_host(self.bridge)
        if host is None:
            raise RuntimeError("the config has no [sms] part")
        host.scheduler = Scheduler(list(host.scheduler.jobs.values()), clock=utc_now, sleep=_until_stopped)
        self.host: SmsHost = host
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_until_complete,
            args=(self.bridge.run(install_signals=False),),
            name="daemon",
            daemon=True,
        )

    def __enter__(self) -> DaemonThread:
        self._thread.start()
        if not self.call(self.host.listening.wait()):
            raise RuntimeError("the SMS endpoint did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self.bridge.request_stop, "test over")
        self._thread.join(30)
        if not self._thread.is_alive():
            self._loop.close()

    def call(self, coroutine: Any, timeout_s: float = 60) -> Any:
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout_s)

    def run_job(self, name: str) -> bool:
        return self.call(self.host.scheduler.run_now(name))
