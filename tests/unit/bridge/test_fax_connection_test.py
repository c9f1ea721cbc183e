"""The fax server form's Test Connection: the bridge answers each request once, through the outbox (FAX-20)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests
import responses

from bridge.fax.connection_test import ConnectionTester
from connectors.dataverse import DataverseClient, OptionalColumns, StaticToken
from connectors.errors import AuthError, NotSentError
from dataverse_schema.fax import FAX_SERVER
from dataverse_schema.names import FaxServer

SERVER_ID = "0b6c7e52-8d1f-4c3a-9e27-5a4f3b2c1d10"
NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
LINK = FAX_SERVER.column(FaxServer.LINKSTATUS).options


class Client:
    def __init__(self, rows):
        self.rows, self.queries = rows, []
        self.optional_columns = OptionalColumns()

    def query(self, entity_set, **options):
        self.queries.append((entity_set, options))
        return list(self.rows)


class Server:
    def __init__(self, outcome):
        self.outcome, self.checks = outcome, 0

    def check(self):
        self.checks += 1
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def make_tester(rows, outcome="220 hylafax.local server (HylaFAX (tm) Version 6.0.7) ready."):
    written = []
    client, server = Client(rows), Server(outcome)
    t = ConnectionTester(client, server, "hq", lambda *a: written.append(a), clock=lambda: NOW)
    return t, client, server, written


def row(requested, tested=None):
    return {FaxServer.ID: SERVER_ID, FaxServer.TESTREQUESTEDON: requested, FaxServer.TESTEDON: tested}


def test_a_new_request_is_answered_once_with_the_greeting() -> None:
    t, client, server, written = make_tester([row("2025-03-01T09:59:30Z")])
    assert t.run_once() and t.run_once() == []
    assert server.checks == 1 and len(written) == 1
    entity_set, ref, body = written[0]
    assert entity_set == FaxServer.SET and ref.value == SERVER_ID
    assert body[FaxServer.TESTRESULT].startswith("Connected at 2025-03-01 10:00:00 UTC: 220 hylafax.local")
    assert body[FaxServer.TESTEDON] == NOW and body[FaxServer.LASTSEENON] == NOW
    assert body[FaxServer.LINKSTATUS] == LINK.value_of("Connected")
    assert "comms_serverkey eq 'hq'" in client.queries[0][1]["filter"]
    assert "comms_testrequestedon ne null" in client.queries[0][1]["filter"]


def test_an_answered_request_is_left_alone() -> None:
    t, _, server, written = make_tester([row("2025-03-01T09:00:00Z", "2025-03-01T09:00:05Z")])
    assert t.run_once() == [] and server.checks == 0 and written == []


def test_a_refused_login_and_an_unreachable_server_say_so() -> None:
    t, _, _, written = make_tester([row("2025-03-01T09:59:00Z")], AuthError("530 Login incorrect"))
    t.run_once()
    body = written[0][2]
    assert body[FaxServer.LINKSTATUS] == LINK.value_of("Login failed")
    assert "530 Login incorrect" in body[FaxServer.TESTRESULT] and FaxServer.LASTSEENON not in body
    t, _, _, written = make_tester([row("2025-03-01T09:59:00Z")], NotSentError("cannot connect to fax:4559"))
    t.run_once()
    assert written[0][2][FaxServer.LINKSTATUS] == LINK.value_of("Disconnected")


def test_a_request_stamped_by_a_clock_ahead_is_never_answered_earlier_than_asked() -> None:
    ahead = NOW + timedelta(minutes=2)
    t, _, _, written = make_tester([row(ahead)])
    t.run_once()
    assert written[0][2][FaxServer.TESTEDON] == ahead


def test_a_header_time_zone_no_zone_answers_to_is_named_in_the_result_and_the_link_detail(caplog) -> None:
    bad = {**row("2025-03-01T09:59:30Z"), FaxServer.HEADERTIMEZONE: "Asia/Tehrn"}
    t, client, _, written = make_tester([bad])
    t.run_once()
    body = written[0][2]
    assert body[FaxServer.LINKSTATUS] == LINK.value_of("Connected")  # the link itself is fine
    for column in (FaxServer.TESTRESULT, FaxServer.LINKDETAIL):
        assert "The Header Time Zone 'Asia/Tehrn' is not a known time zone" in body[column]
        assert body[column].endswith("page headers are printed in UTC until it is corrected.")
        assert len(body[column]) <= 500
    assert body[FaxServer.TESTRESULT].startswith("Connected at 2025-03-01 10:00:00 UTC: 220 hylafax.local")
    assert FaxServer.HEADERTIMEZONE in client.queries[0][1]["select"]
    assert "Asia/Tehrn" in caplog.text


def test_a_known_or_empty_header_time_zone_adds_nothing() -> None:
    for zone in ("Asia/Tehran", "", None):
        t, _, _, written = make_tester([{**row("2025-03-01T09:59:30Z"), FaxServer.HEADERTIMEZONE: zone}])
        t.run_once()
        assert written[0][2][FaxServer.LINKDETAIL] == ""


def test_a_failed_test_keeps_its_reason_and_adds_the_zone_problem_within_the_column() -> None:
    bad = {**row("2025-03-01T09:59:30Z"), FaxServer.HEADERTIMEZONE: "Mars/Olympus"}
    t, _, _, written = make_tester([bad], outcome=NotSentError("x" * 600, system="hq", operation="check"))
    t.run_once()
    body = written[0][2]
    assert body[FaxServer.LINKSTATUS] == LINK.value_of("Disconnected")
    assert body[FaxServer.TESTRESULT].startswith("Failed at 2025-03-01 10:00:00 UTC: ")
    assert "'Mars/Olympus' is not a known time zone" in body[FaxServer.TESTRESULT]
    assert len(body[FaxServer.TESTRESULT]) <= 500


def test_a_request_is_answered_where_the_solution_has_no_header_time_zone_yet() -> None:
    """X-01: the bridge updated before the solution; Dataverse refuses the new column in ``$select``."""
    origin = "https://org.example.com"
    servers = f"{origin}/api/data/v9.2/{FaxServer.SET}"
    refusal = {
        "error": {
            "code": "0x80060888",
            "message": f"Could not find a property named '{FaxServer.HEADERTIMEZONE}' on type "
            f"'Microsoft.Dynamics.CRM.{FaxServer.TABLE}'.",
        }
    }
    client = DataverseClient(base_url=origin, session=requests.Session(), token_provider=StaticToken("t"), retry=None)
    written = []
    tester = ConnectionTester(client, Server("220 ready."), "hq", lambda *a: written.append(a), clock=lambda: NOW)
    with responses.RequestsMock() as wire:
        wire.get(servers, status=400, json=refusal)
        wire.get(servers, json={"value": [row("2025-03-01T09:59:30Z")]})
        assert tester.run_once()
        assert FaxServer.HEADERTIMEZONE not in wire.calls[1].request.url
    assert written[0][2][FaxServer.LINKSTATUS] == LINK.value_of("Connected")
