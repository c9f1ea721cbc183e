"""CommandDesk permissions and error mapping; CardService cache, sharing, errors; the Dataverse card queries."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import requests
import responses
from responses import matchers

from bridge.console.cards import CardError, CardService, checked_key, dataverse_card_source
from bridge.console.commands import CommandDesk, CommandRefusedError
from bridge.console.live import LiveView
from bridge.console.settings import ConsoleSettings, ConsoleUser
from bridge.console.visibility import Viewer
from connectors.dataverse import DataverseClient, StaticToken
from connectors.errors import NotSentError, OutcomeUnknownError, RejectedError
from connectors.settings import Secret
from domain.calls.record import CallStatus

from .builders import AGENT_A, AGENT_B, CONTACT, SUPERVISOR, T0, FakePort, record, settings, system, update

A, SUP = Viewer(AGENT_A), Viewer(SUPERVISOR, is_supervisor=True)


def desk(port: FakePort) -> CommandDesk:
    live = LiveView()
    live.set_systems([system()])
    live.on_call(update(record(CallStatus.TALKING, ringing=(), extension="102")), system())
    return CommandDesk(port, live, timeout_s=1)


@pytest.mark.parametrize(
    "viewer, kwargs, status",
    [
        (A, {"extension": "102"}, 403),  # someone else's extension
        (SUP, {"extension": "103"}, 403),  # may not originate
        (SUP, {"extension": "999"}, 404),
        (A, {"system_key": "nope"}, 404),
        (Viewer("stranger"), {}, 403),  # answers no extension
    ],
)
def test_dial_refusals(viewer, kwargs, status):
    port = FakePort()
    with pytest.raises(CommandRefusedError) as refused:
        asyncio.run(desk(port).dial(viewer, "09121234567", **kwargs))
    assert refused.value.status == status and port.dials == []


def test_dial_uses_the_users_own_extension_and_rejects_non_numbers():
    port = FakePort()
    asyncio.run(desk(port).dial(A, " 0912 123 4567 "))
    assert port.dials == [("pbx1", "101", "0912 123 4567")]
    with pytest.raises(CommandRefusedError):
        asyncio.run(desk(port).dial(A, "<script>"))


@pytest.mark.parametrize(
    "error, status",
    [
        (RejectedError("no such extension", system="pbx1"), 422),
        (OutcomeUnknownError("reset", system="pbx1"), 504),
        (NotSentError("refused", system="pbx1"), 503),
    ],
)
def test_port_errors_become_plain_answers(error, status):
    with pytest.raises(CommandRefusedError) as refused:
        asyncio.run(desk(FakePort(error)).dial(A, "09121234567"))
    assert refused.value.status == status


def test_spy_is_for_supervisors_on_connected_calls():
    port = FakePort()
    with pytest.raises(CommandRefusedError):
        asyncio.run(desk(port).spy(A, "pbx1:c1", whisper=False))
    with pytest.raises(CommandRefusedError) as gone:
        asyncio.run(desk(port).spy(SUP, "pbx1:nope", whisper=False))
    assert gone.value.status == 404
    asyncio.run(desk(port).spy(SUP, "pbx1:c1", whisper=False))
    assert port.spies == [("pbx1", "200", "PJSIP/102-", False)]


def test_card_service_caches_shares_reads_and_reports_errors_plainly():
    reads = []
    now = [T0]

    def source(table, rid):
        reads.append(rid)
        if rid.endswith("bad"):
            raise RejectedError("privilege", system="dataverse")
        return {"name": "Ali"}

    async def scenario():
        cards = CardService(source, ttl_s=30, clock=lambda: now[0])
        first, second = await asyncio.gather(cards.card("contact", CONTACT), cards.card("contact", CONTACT))
        assert first == second == {"name": "Ali"} and len(reads) == 1
        await cards.card("contact", CONTACT)
        now[0] = T0 + timedelta(seconds=31)
        await cards.card("contact", CONTACT)
        assert len(reads) == 2
        failed = await cards.card("contact", "c0ffee00-0000-4000-8000-000000000bad")
        assert "refused" in failed["error"]

    asyncio.run(scenario())


def test_card_times_out_with_a_message():
    def slow(table, rid):
        import time

        time.sleep(0.3)
        return {}

    result = asyncio.run(CardService(slow, timeout_s=0.05).card("lead", CONTACT))
    assert "in time" in result["error"]


@pytest.mark.parametrize("table, rid", [("systemuser", CONTACT), ("contact", "1 or 1=1"), ("contact", "")])
def test_card_requests_are_checked(table, rid):
    with pytest.raises(CardError):
        checked_key(table, rid)


def test_dataverse_card_source_reads_record_open_cases_and_activities():
    base = "https://contoso.crm4.dynamics.com/api/data/v9.2"
    client = DataverseClient(
        base_url="https://contoso.crm4.dynamics.com",
        session=requests.Session(),
        token_provider=StaticToken("t"),
        retry=None,
    )
    with responses.RequestsMock() as wire:
        wire.get(
            f"{base}/contacts({CONTACT})",
            json={
                "fullname": "Ali Rezaei",
                "parentcustomerid_account": {"name": "Pars Co"},
                "owninguser": {"fullname": "Sara Ahmadi"},
            },
        )
        wire.get(
            f"{base}/incidents",
            json={"value": [{"title": "Invoice", "ticketnumber": "CAS-1"}]},
            match=[
                matchers.query_param_matcher(
                    {
                        "$select": "title,ticketnumber,incidentid",
                        "$filter": f"(_customerid_value eq {CONTACT}) and (statecode eq 0)",
                        "$orderby": "createdon desc",
                        "$top": "20",
                    }
                )
            ],
        )
        wire.get(
            f"{base}/activitypointers",
            json={"value": [{"subject": "Call back", "activitytypecode": "phonecall"}]},
            match=[
                matchers.query_param_matcher(
                    {
                        "$select": "subject,activitytypecode,createdon",
                        "$filter": f"_regardingobjectid_value eq {CONTACT}",
                        "$orderby": "createdon desc",
                        "$top": "5",
                    }
                )
            ],
        )
        card = dataverse_card_source(client)("contact", CONTACT)
    assert card["company"] == "Pars Co" and card["owner"] == "Sara Ahmadi"
    assert card["open_cases"][0]["number"] == "CAS-1" and card["activities"][0]["subject"] == "Call back"


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"host": "0.0.0.0"}, "not a loopback"),
        ({"org_url": "https://contoso.crm.dynamics.com/main.aspx"}, "bare origin"),
        ({"users": ({"user_id": AGENT_A, "token": "short"},)}, "at least 16"),
        (
            {
                "users": (
                    ConsoleUser(user_id=AGENT_A, token=Secret("x" * 20)),
                    ConsoleUser(user_id=AGENT_B, token=Secret("x" * 20)),
                )
            },
            "share a token",
        ),
        ({"colour": "blue"}, "extra"),
    ],
)
def test_settings_refusals(overrides, fragment):
    with pytest.raises(ValueError, match=fragment):
        settings(**overrides)


def test_settings_never_show_tokens():
    text = repr(settings()) + str(settings().model_dump())
    assert "token-agent" not in text
    assert ConsoleSettings(host="0.0.0.0", allow_remote=True).host == "0.0.0.0"


def test_dial_takes_the_extension_typed_in_persian_digits():
    port = FakePort()
    asyncio.run(desk(port).dial(A, "۰۹۱۲ ۱۲۳ ۴۵۶۷", extension="۱۰۱"))
    assert port.dials == [("pbx1", "101", "۰۹۱۲ ۱۲۳ ۴۵۶۷")]  # the number is normalised where it is dialled
