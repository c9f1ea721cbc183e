"""SMS value types: validation and the final-status rule."""

from __future__ import annotations

import dataclasses

import pytest

from domain.sms import DeliveryStatus, OutgoingSms, SendReceipt


@pytest.mark.parametrize(
    "status, final",
    [
        (DeliveryStatus.QUEUED, False),
        (DeliveryStatus.SENT_TO_OPERATOR, False),
        (DeliveryStatus.UNKNOWN, False),
        (DeliveryStatus.DELIVERED, True),
        (DeliveryStatus.FAILED, True),
        (DeliveryStatus.EXPIRED, True),
        (DeliveryStatus.BLOCKED, True),
    ],
)
def test_final_statuses(status, final):
    assert status.is_final is final


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        ({"our_id": "", "to": "+989121234567", "text": "x"}, "our id"),
        ({"our_id": "m1", "to": "09121234567", "text": "x"}, "E.164"),
        ({"our_id": "m1", "to": "+98912abc", "text": "x"}, "E.164"),
        ({"our_id": "m1", "to": "+۹۸۹۱۲۱۲۳۴۵۶۷", "text": "x"}, "E.164"),
        ({"our_id": "m1", "to": "+989121234567", "text": ""}, "text"),
    ],
)
def test_outgoing_sms_refuses_bad_values(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        OutgoingSms(**kwargs)


def test_outgoing_sms_is_frozen():
    sms = OutgoingSms(our_id="m1", to="+989121234567", text="سلام")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sms.text = "changed"  # type: ignore[misc]


def test_receipt_acceptance():
    assert SendReceipt("m1", "123", DeliveryStatus.QUEUED, 1).is_accepted
    assert not SendReceipt("m1", None, DeliveryStatus.FAILED, 1, code="18").is_accepted
    assert not SendReceipt("m1", "0", DeliveryStatus.BLOCKED, 1).is_accepted
