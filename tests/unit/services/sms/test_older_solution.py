"""The SMS paths at the Dataverse wire when the opt-out table has no Normalised Number yet (X-01, X-03, SMS-15).

A host updated before the solution is imported meets Dataverse's 400s for the column: in a query
("Could not find a property named ..."), and in a write body inside the inbound change set ("The
property ... does not exist on type ..."). The single send's opt-out query is asked again by the
spellings only, the fill job does nothing, the inbound change set goes again without the column;
each said once, and never asked with the column again by the same client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, StaticToken, ValidationError
from domain.numbers import NumberPlan
from services.sms.inbound.writes import Write, commit
from services.sms.opt_outs import OptOutFill, OptOutNormaliser
from services.sms.store import SmsStore

ORIGIN = "https://org.example.com"
API = f"{ORIGIN}/api/data/v9.2/"
OPT_OUTS = f"{API}comms_smsoptouts"
WARNED_BY = "connectors.dataverse.optional_columns"
E164, TYPED = "+989121234567", "09121234567"
QUERY_REFUSAL = {
    "error": {
        "code": "0x80060888",
        "message": "Could not find a property named 'comms_normalisednumber' on type "
        "'Microsoft.Dynamics.CRM.comms_smsoptout'.",
    }
}
REPLY_ID = "f27ef42d-51b0-4685-bac9-f468f844de2f"
WRITE_REFUSAL = (
    f"--batchresponse_{REPLY_ID}\r\n"
    "Content-Type: application/http\r\n"
    "Content-Transfer-Encoding: binary\r\n"
    "\r\n"
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: application/json; odata.metadata=minimal\r\n"
    "OData-Version: 4.0\r\n"
    "\r\n"
    '{"error":{"code":"0x80060888","message":"The property \'comms_normalisednumber\' does not exist on type '
    "'Microsoft.Dynamics.CRM.comms_smsoptout'. Make sure to only use property names that are defined by the type "
    'or mark the type as open type."}}\r\n'
    f"--batchresponse_{REPLY_ID}--\r\n"
)
STORED = (
    f"--batchresponse_{REPLY_ID}\r\n"
    "Content-Type: multipart/mixed; boundary=changesetresponse_1\r\n"
    "\r\n"
    + "".join(
        "--changesetresponse_1\r\n"
        "Content-Type: application/http\r\n"
        "Content-Transfer-Encoding: binary\r\n"
        f"Content-ID: {n}\r\n"
        "\r\n"
        "HTTP/1.1 204 No Content\r\n"
        "OData-Version: 4.0\r\n"
        "\r\n"
        "\r\n"
        for n in (1, 2)
    )
    + "--changesetresponse_1--\r\n"
    f"--batchresponse_{REPLY_ID}--\r\n"
)
REPLY_TYPE = f"multipart/mixed; boundary=batchresponse_{REPLY_ID}"


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client() -> DataverseClient:
    return DataverseClient(base_url=ORIGIN, session=requests.Session(), token_provider=StaticToken("t"), retry=None)


def _asked(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == WARNED_BY]


def test_the_single_send_query_is_asked_again_by_the_spellings_only(client, wire, caplog):
    wire.get(OPT_OUTS, status=400, json=QUERY_REFUSAL)
    wire.get(OPT_OUTS, json={"value": [{"comms_phonenumber": TYPED}]})
    wire.get(OPT_OUTS, json={"value": [{"comms_phonenumber": TYPED}]})
    store = SmsStore(client)

    with caplog.at_level(logging.WARNING, logger=WARNED_BY):
        assert store.opted_out(iter([TYPED, E164]), iter([E164])) == {TYPED}
        assert store.opted_out([TYPED, E164], [E164]) == {TYPED}

    first, second, third = (_asked(call) for call in wire.calls)
    assert "comms_normalisednumber" in first["$filter"][0] and "comms_normalisednumber" in first["$select"][0]
    assert second == third and second["$select"] == ["comms_phonenumber"]
    assert second["$filter"] == [
        "(statecode eq 0) and (Microsoft.Dynamics.CRM.In(PropertyName='comms_phonenumber',"
        f'PropertyValues=["{E164}","{TYPED}"]))'
    ]
    (warned,) = _warnings(caplog)
    assert "comms_smsoptout" in warned and "import this version's CommSuite solution" in warned


def test_without_spellings_nothing_more_is_asked(client, wire):
    wire.get(OPT_OUTS, status=400, json=QUERY_REFUSAL)
    store = SmsStore(client)
    assert store.opted_out([], [E164]) == frozenset()
    assert store.opted_out([], [E164]) == frozenset()
    assert len(wire.calls) == 1


def test_the_fill_job_does_nothing_and_says_so_once(client, wire, caplog):
    wire.get(OPT_OUTS, status=400, json=QUERY_REFUSAL)
    normaliser = OptOutNormaliser(client, NumberPlan())
    with caplog.at_level(logging.WARNING, logger=WARNED_BY):
        assert normaliser.run() == OptOutFill()
        assert normaliser.run() == OptOutFill()
    assert len(wire.calls) == 1 and len(_warnings(caplog)) == 1


def test_the_inbound_change_set_goes_again_without_the_column(client, wire, caplog):
    wire.post(f"{API}$batch", body=WRITE_REFUSAL, content_type=REPLY_TYPE)
    wire.post(f"{API}$batch", body=STORED, content_type=REPLY_TYPE)
    wire.post(f"{API}$batch", body=STORED, content_type=REPLY_TYPE)
    writes = [
        Write("comms_smses", "(0b1c2d3e-0000-4000-8000-000000000001)", {"comms_message": "لغو ۱۱"}),
        Write(
            "comms_smsoptouts",
            f"(comms_phonenumber='{E164}')",
            {"comms_phonenumber": E164, "comms_normalisednumber": E164, "comms_keyword": "لغو 11"},
        ),
    ]

    with caplog.at_level(logging.WARNING, logger=WARNED_BY):
        commit(client, writes)
        commit(client, writes)

    first, second, third = (call.request.body for call in wire.calls)
    assert b'"comms_normalisednumber"' in first
    for body in (second, third):
        assert b'"comms_normalisednumber"' not in body
        assert "لغو ۱۱".encode() in body and b'"comms_keyword"' in body and b'"comms_phonenumber"' in body
    assert len(_warnings(caplog)) == 1


def test_any_other_refusal_of_the_change_set_propagates(client, wire):
    other = WRITE_REFUSAL.replace("comms_normalisednumber", "comms_keyword")
    wire.post(f"{API}$batch", body=other, content_type=REPLY_TYPE)
    writes = [Write("comms_smsoptouts", f"(comms_phonenumber='{E164}')", {"comms_keyword": "x"})]
    with pytest.raises(ValidationError, match="comms_keyword"):
        commit(client, writes)
    assert len(wire.calls) == 1
