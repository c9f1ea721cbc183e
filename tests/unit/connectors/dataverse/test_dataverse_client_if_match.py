"""DataverseClient.update with ``if_match``: optimistic concurrency at the wire (If-Match etag, 412)."""

from __future__ import annotations

import pytest
import requests
from responses import matchers

from connectors.dataverse import DuplicateKeyError, NotFoundError, PreconditionFailedError, ResponseLostError

from .dataverse_support import API

GUID = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
ERROR_CT = {"Content-Type": "application/json; odata.metadata=minimal"}
MISMATCH = {
    "error": {
        "code": "0x80060882",
        "message": "The version of the existing record doesn't match the RowVersion property provided.",
    }
}


def test_an_etag_is_sent_as_if_match(client, wire):
    wire.patch(
        API + f"contacts({GUID})",
        status=204,
        match=[
            matchers.header_matcher({"If-Match": 'W/"470867"', "If-None-Match": "null"}, strict_match=False),
            matchers.json_params_matcher({"telephone1": "1"}),
        ],
    )
    client.update("contacts", GUID, {"telephone1": "1"}, if_match=' W/"470867" ')


@pytest.mark.parametrize("body", [MISMATCH, {"error": {"code": "", "message": "The version doesn't match"}}, None])
def test_a_changed_record_is_a_precondition_failure_and_not_retried(client, wire, sleep, body):
    wire.patch(API + f"contacts({GUID})", status=412, headers=ERROR_CT, json=body)
    with pytest.raises(PreconditionFailedError) as caught:
        client.update("contacts", GUID, {"telephone1": "1"}, if_match='W/"1"')
    assert caught.value.status == 412 and caught.value.operation == "update"
    assert not isinstance(caught.value, DuplicateKeyError)
    assert len(wire.calls) == 1 and sleep.waits == []


def test_a_missing_record_is_still_not_found(client, wire):
    wire.patch(
        API + f"contacts({GUID})",
        status=404,
        headers=ERROR_CT,
        json={"error": {"code": "0x80040217", "message": f"contact With Id = {GUID} Does Not Exist"}},
    )
    with pytest.raises(NotFoundError):
        client.update("contacts", GUID, {"telephone1": "1"}, if_match='W/"1"')


def test_a_lost_reply_to_a_conditional_update_is_not_resent(client, wire, sleep):
    wire.patch(API + f"contacts({GUID})", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ResponseLostError):
        client.update("contacts", GUID, {"telephone1": "1"}, if_match='W/"1"')
    assert len(wire.calls) == 1


def test_if_match_star_is_the_plain_update(client, wire):
    wire.patch(
        API + f"contacts({GUID})", status=204, match=[matchers.header_matcher({"If-Match": "*"}, strict_match=False)]
    )
    client.update("contacts", GUID, {"telephone1": "1"}, if_match="*")


@pytest.mark.parametrize(
    "etag",
    [
        "",
        "   ",
        "470867",
        'W/"1"\r\nX-Evil: 1',
        'W/"1", W/"2"',
        'W/"a b"',
        'W/"' + "9" * 300 + '"',
        'W/"1"\nIf-Match: *',
    ],
)
def test_a_damaged_etag_is_refused_before_anything_is_sent(client, wire, etag):
    with pytest.raises(ValueError, match="if_match"):
        client.update("contacts", GUID, {"telephone1": "1"}, if_match=etag)
    assert len(wire.calls) == 0
