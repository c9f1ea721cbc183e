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


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client() -> DataverseClient:
    return DataverseClient(base_url=ORIGIN, session=requests.Session(), token_provider=StaticToken("t"), retry=None)


def page(*rows: dict) -> dict:
    return {"@odata.context": f"{ORIGIN}/api/data/v9.2/$metadata#comms_smsoptouts", "value": list(rows)}


def row(phone: str) -> dict:
    return {"@odata.etag": ETAG, "comms_smsoptoutid": ROW_ID, "comms_phonenumber": phone}


@pytest.mark.parametrize(
    "phone, written",
    [
        ("0912 123 4567", "+989121234567"),
        ("۰" * 10_000, NOT_A_NUMBER),
        ("0912' or 1 eq 1 " * 700, NOT_A_NUMBER),
        ("\x00\ufeff<script>", NOT_A_NUMBER),
    ],
)
def test_only_active_empty_rows_are_asked_for_and_only_the_column_is_written_with_if_match(
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
    asked = parse_qs(urlsplit(wire.calls[0].request.url).query)
    assert asked["$filter"] == ["(statecode eq 0) and (comms_normalisednumber eq null)"]
    assert asked["$top"] == ["25"] and asked["$select"] == ["comms_smsoptoutid,comms_phonenumber"]


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
