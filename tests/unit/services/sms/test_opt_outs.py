"""The opt-out normaliser at the Dataverse wire, and the sweep going on when it cannot run (SMS-15).

The emulator keeps the phone column to its 50 characters, as Dataverse does; an organisation may widen
it, so the 10 kB row is served here at the wire format Dataverse replies with.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from connectors.dataverse import DataverseClient, StaticToken
from domain.numbers import NumberPlan
from domain.sms.recipients import NOT_A_NUMBER
from services.sms.opt_outs import OptOutFill, OptOutNormaliser
from services.sms.sweep import sweep

ORIGIN = "https://org.example.com"
SET_URL = f"{ORIGIN}/api/data/v9.2/comms_smsoptouts"
ROW_ID = "6f1c2b1e-0d4a-4b7e-9a55-3c2d1e0f9a81"
ETAG = 'W/"470867"'
STAMP = "2026-03-01T10:00:00Z"
NORMALISED = "comms_normalisednumber"


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client() -> DataverseClient:
    return DataverseClient(base_url=ORIGIN, session=requests.Session(), token_provider=StaticToken("t"), retry=None)


def page(*rows: dict) -> dict:
    return {"@odata.context": f"{ORIGIN}/api/data/v9.2/$metadata#comms_smsoptouts", "value": list(rows)}


def row(phone: str, normalised: str | None = None, *, stamp: str = STAMP, row_id: str = ROW_ID) -> dict:
    return {
        "@odata.etag": ETAG,
        "comms_smsoptoutid": row_id,
        "comms_phonenumber": phone,
        "comms_normalisednumber": normalised,
        "modifiedon": stamp,
    }


def asked(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@pytest.mark.parametrize(
    "phone, written",
    [
        ("0912 123 4567", "+989121234567"),
        ("۰" * 10_000, NOT_A_NUMBER),
        ("0912' or 1 eq 1 " * 700, NOT_A_NUMBER),
        ("\x00\ufeff<script>", NOT_A_NUMBER),
    ],
)
def test_the_first_run_reads_every_active_row_and_writes_only_the_column_with_if_match(
    client: DataverseClient, wire: responses.RequestsMock, phone: str, written: str
) -> None:
    query = wire.get(SET_URL, json=page(row(phone)))
    patch = wire.patch(
        f"{SET_URL}({ROW_ID})",
        status=204,
        match=[
            matchers.json_params_matcher({"comms_normalisednumber": written}),
            matchers.header_matcher({"If-Match": ETAG}),
        ],
    )

    fill = OptOutNormaliser(client, NumberPlan(), per_run=25).run()

    assert fill == (OptOutFill(normalised=1) if written.startswith("+") else OptOutFill(not_numbers=1))
    assert query.call_count == 1 and patch.call_count == 1
    first = asked(wire.calls[0])
    assert first["$filter"] == ["statecode eq 0"] and "$top" not in first
    assert first["$select"] == ["comms_smsoptoutid,comms_phonenumber,comms_normalisednumber,modifiedon"]
    assert first["$orderby"] == ["modifiedon asc,comms_smsoptoutid asc"]


def test_later_runs_read_empty_rows_and_rows_modified_since_the_newest_stamp_less_the_reread(
    client: DataverseClient, wire: responses.RequestsMock
) -> None:
    wire.get(SET_URL, json=page(row("0912 123 4567", "+989121234567", stamp="2026-03-01T10:00:00Z")))
    wire.get(SET_URL, json=page())
    normaliser = OptOutNormaliser(client, NumberPlan())

    assert normaliser.run() == OptOutFill() and normaliser.run() == OptOutFill()  # up to date: nothing written

    assert asked(wire.calls[1])["$filter"] == [
        "(statecode eq 0) and ((comms_normalisednumber eq null) or (modifiedon ge 2026-03-01T09:50:00Z))"
    ]


@pytest.mark.parametrize(
    "phone, held, written",
    [
        ("0912 765 4321", "+989121234567", "+989127654321"),  # edited after it was normalised
        ("call me", "+989121234567", NOT_A_NUMBER),  # edited into no number
        ("0912 123 4567", NOT_A_NUMBER, "+989121234567"),  # junk corrected
        ("+989121234567", "+989121234567", None),  # as a keyword writes it
        ("0912 123 4567", "+989121234567", None),  # normalised already
        ("3000", "3000", None),  # a keyword row of a sender that is no E.164 number: its own
    ],
)
def test_a_row_is_written_only_when_its_normalised_number_is_not_what_its_phone_number_gives(
    client: DataverseClient, wire: responses.RequestsMock, phone: str, held: str, written: str | None
) -> None:
    wire.get(SET_URL, json=page(row(phone, held)))
    if written is not None:
        wire.patch(f"{SET_URL}({ROW_ID})", status=204, match=[matchers.json_params_matcher({NORMALISED: written})])

    OptOutNormaliser(client, NumberPlan()).run()

    assert len(wire.calls) == (2 if written else 1)


def test_the_watermark_stays_at_the_oldest_edited_row_left_for_the_next_run(
    client: DataverseClient, wire: responses.RequestsMock
) -> None:
    other = "0b7d3c2a-9e8f-4a1b-8c6d-5e4f3a2b1c0d"
    wire.get(
        SET_URL,
        json=page(
            row("0912 000 0000", stamp="2026-03-01T08:00:00Z", row_id=other),  # empty: found by every run
            row("0912 765 4321", "+989121234567", stamp="2026-03-01T09:00:00Z"),  # edited: only the stamp finds it
            row("0912 123 4567", "+989121234567", stamp="2026-03-01T11:00:00Z"),
        ),
    )
    wire.patch(f"{SET_URL}({other})", status=204)
    wire.get(SET_URL, json=page())
    normaliser = OptOutNormaliser(client, NumberPlan(), per_run=1)

    assert normaliser.run() == OptOutFill(normalised=1, left=1)
    normaliser.run()

    assert asked(wire.calls[2])["$filter"] == [
        "(statecode eq 0) and ((comms_normalisednumber eq null) or (modifiedon ge 2026-03-01T08:50:00Z))"
    ]


@pytest.mark.parametrize("stamp", ["", "yesterday", "2026-03-01T10:00:00"])
def test_a_row_without_a_readable_stamp_keeps_the_next_run_reading_every_row(
    client: DataverseClient, wire: responses.RequestsMock, stamp: str
) -> None:
    wire.get(SET_URL, json=page(row("0912 123 4567", "+989121234567", stamp=stamp)))
    wire.get(SET_URL, json=page())
    normaliser = OptOutNormaliser(client, NumberPlan())

    normaliser.run()
    normaliser.run()

    assert asked(wire.calls[1])["$filter"] == ["statecode eq 0"]


@pytest.mark.parametrize("status", [404, 412])
def test_a_row_changed_or_deleted_since_the_read_is_left_for_the_next_run(
    client: DataverseClient, wire: responses.RequestsMock, status: int
) -> None:
    wire.get(SET_URL, json=page(row("0912 123 4567")))
    wire.patch(f"{SET_URL}({ROW_ID})", status=status, json={"error": {"code": "0x80060882", "message": "changed"}})

    assert OptOutNormaliser(client, NumberPlan()).run() == OptOutFill(left=1)


def test_a_bound_below_one_is_refused(client: DataverseClient) -> None:
    with pytest.raises(ValueError, match="per_run"):
        OptOutNormaliser(client, NumberPlan(), per_run=0)


class _Store:
    def sms_due(self, now: datetime, missed_before: datetime, limit: int) -> list[str]:
        return ["sms-1"]

    def stale_claims(self, before: datetime, limit: int) -> list[str]:
        return []


class _Outcome:
    class result:  # noqa: N801 - shaped like SendOutcome.result
        value = "sent"


class _Sender:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, sms_id: str) -> _Outcome:
        self.sent.append(sms_id)
        return _Outcome()


def test_the_sweep_still_sends_when_dataverse_refuses_the_opt_out_work(
    client: DataverseClient, wire: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    wire.get(SET_URL, status=403, json={"error": {"code": "0x80040220", "message": "no privilege"}})
    sender = _Sender()

    summary = sweep(
        _Store(),  # type: ignore[arg-type]
        sender,  # type: ignore[arg-type]
        clock=lambda: datetime(2026, 3, 1, tzinfo=UTC),
        opt_outs=OptOutNormaliser(client, NumberPlan()),
    )

    assert sender.sent == ["sms-1"] and summary.results == {"sent": 1} and summary.opt_outs is None
    assert "opt-out rows not normalised now" in caplog.text
