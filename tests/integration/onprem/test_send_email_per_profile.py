"""``SendEmail`` on the e-mail call notices, against the emulator as Dataverse online and as on-premises 9.0 and 8.2
(issue 14: ``[notices] kind = "email"`` sends what it writes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bridge.calls.notice_kinds import NoticeKind, fallback_item
from bridge.calls.notice_mail import NoticeMailer
from bridge.calls.notifications import Notice
from connectors.dataverse import DataverseClient, RecordId, StaticToken, deterministic_id
from connectors.dataverse.settings import make_client
from emulator.seed import seed
from emulator.server import EmulatorServer, FaultPlan

from .conftest import ntlm_settings, onprem_server

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
TOKEN = "send-email-test"


@pytest.fixture(params=["online", "onprem-9.0", "onprem-8.2"])
def crm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[EmulatorServer, DataverseClient]]:
    with requests.Session() as session:
        if request.param == "online":
            with EmulatorServer(":memory:", faults=FaultPlan.none(), token=TOKEN) as server:
                seed(server.store)
                yield (
                    server,
                    DataverseClient(base_url=server.origin, session=session, token_provider=StaticToken(TOKEN)),
                )
        else:
            with onprem_server(request.param) as server:
                seed(server.store)
                yield server, make_client(ntlm_settings(server), session)


def notice(user_id: str) -> Notice:
    return Notice(
        kind="missed",
        user_id=user_id,
        title="Missed call from Sara",
        body="Not answered.",
        icon=0,
        ttl_s=0,
        actions=(),
        text="Not answered.",
    )


def first_user(client: DataverseClient) -> str:
    return next(iter(client.query("systemusers", select=["systemuserid"], top=1)))["systemuserid"]


def status(client: DataverseClient, email_id: str) -> tuple[int, int]:
    row = client.retrieve("emails", RecordId(email_id), select=["statecode", "statuscode"])
    return row["statecode"], row["statuscode"]


def test_a_notice_email_is_sent_and_a_second_send_is_refused(crm, tmp_path: Path) -> None:
    server, client = crm
    email_id = deterministic_id("send-email-test", server.profile.name)
    mailer = NoticeMailer({"crm": client}, tmp_path / "mail.db")
    mailer.queue("crm", email_id)
    assert mailer.send_due() == 0 and mailer.waiting() == [("crm", email_id)]  # 404: the draft is not there yet
    entity_set, ref, body = fallback_item(NoticeKind.EMAIL, notice(first_user(client)), email_id)
    client.upsert(entity_set, ref, body)
    assert status(client, email_id) == (0, 1)  # Open, Draft
    assert mailer.send_due() == 1 and mailer.waiting() == []
    assert status(client, email_id) == (1, 6)  # Completed, Pending Send
    mailer.queue("crm", email_id)  # a replay: already sent, refused, dropped
    assert mailer.send_due() == 0 and mailer.waiting() == []
    assert not server.profile.ignored


def test_an_email_without_a_recipient_is_refused_and_stays_a_draft(crm, tmp_path: Path, caplog) -> None:
    _, client = crm
    email_id = client.create("emails", {"subject": "nobody", "directioncode": True})
    mailer = NoticeMailer({"crm": client}, tmp_path / "mail.db")
    mailer.queue("crm", email_id)
    assert mailer.send_due() == 0 and mailer.waiting() == []
    assert "at least one recipient" in caplog.text
    assert status(client, email_id) == (0, 1)


def test_issue_send_false_marks_it_sent(crm) -> None:
    _, client = crm
    email_id = deterministic_id("mark-sent", "x")
    entity_set, ref, body = fallback_item(NoticeKind.EMAIL, notice(first_user(client)), email_id)
    client.upsert(entity_set, ref, body)
    reply = client.request(
        "POST", f"emails({email_id})/Microsoft.Dynamics.CRM.SendEmail", json={"IssueSend": False}, idempotent=False
    ).json()
    assert reply["Subject"] == "Missed call from Sara" and status(client, email_id) == (1, 3)  # Completed, Sent
