"""SMS-24 against the emulator: an inbound text lands in the right work queue within the line's interval.

The line says who gets its texts (the matched record's owner, a related person, or a queue) and how
soon; storing sets *Route Due On*, and the routing timer creates the queue item (the person's own
queue, with them as worker, else the line's queue) and sets *Queued On*, once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.dataverse import RecordId, bind, deterministic_id, odata
from dataverse_schema import sms as schema
from domain.numbers import NumberPlan
from domain.sms import InboundSms
from services.sms.inbound import InboundService, KeywordServiceRegistry
from services.sms.inbound.routing import InboundRouter

from . import seed

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
LINE = "3000202040"


@pytest.fixture
def desk(client, session):
    queue_of_user = client.create("queues", {"name": "Reza's queue"})
    line_queue = client.create("queues", {"name": "SMS desk"})
    user = client.create(
        "systemusers", {"firstname": "Reza", "lastname": "Ahmadi", **bind("queueid", "queues", queue_of_user)}
    )
    contact = client.create(
        "contacts",
        {
            "firstname": "Nima",
            "lastname": "Sadeghi",
            "mobilephone": "09127770001",
            **bind("ownerid", "systemusers", user),
        },
    )
    account_id = seed.provider_account(client, "kv-route")
    line = seed.routed_line(client, "routed", LINE, account_id, line_queue)
    clock = seed.Clock(NOW)
    inbound, router = seed.routed_inbound(client, session, "kv-route", account_id, clock)
    return {
        "inbound": inbound,
        "router": router,
        "clock": clock,
        "user": user,
        "user_queue": queue_of_user,
        "line_queue": line_queue,
        "line": line,
        "contact": contact,
    }


def _activity(client, provider_id: str) -> dict:
    (row,) = client.query(
        "comms_smses",
        select=["activityid", "comms_routedueon", "comms_queuedon", "comms_error"],
        filter=odata.and_(
            odata.eq("comms_provideraccountkey", "kv-route"), odata.eq("comms_providermessageid", provider_id)
        ),
    )
    return row


def _queue_item(client, sms_id: str) -> dict:
    return client.retrieve("queueitems", RecordId(deterministic_id("sms-queueitem", sms_id)))


def test_a_text_from_a_known_customer_lands_in_the_owners_queue_within_the_interval(client, desk) -> None:
    desk["inbound"].receive("kv-route", [InboundSms("r-1", "09127770001", LINE, "سلام، تماس بگیرید", NOW)])
    stored = _activity(client, "r-1")
    assert datetime.fromisoformat(stored["comms_routedueon"].replace("Z", "+00:00")) == NOW + timedelta(minutes=10)
    assert stored["comms_queuedon"] is None

    desk["clock"].now = NOW + timedelta(minutes=1)  # the next tick of the routing timer
    report = desk["router"].route_pending()

    assert report.queued == [stored["activityid"]] and report.late == []
    item = _queue_item(client, stored["activityid"])
    assert item["_queueid_value"] == desk["user_queue"] and item["_workerid_value"] == desk["user"]
    assert item["_objectid_value"] == stored["activityid"]
    assert _activity(client, "r-1")["comms_queuedon"]
    assert desk["router"].route_pending().queued == []  # queued once


def test_a_text_from_an_unknown_number_goes_to_the_lines_queue(client, desk) -> None:
    desk["inbound"].receive("kv-route", [InboundSms("r-2", "09129990000", LINE, "who is this?", NOW)])
    stored = _activity(client, "r-2")

    desk["router"].route_pending()

    item = _queue_item(client, stored["activityid"])
    assert item["_queueid_value"] == desk["line_queue"] and item.get("_workerid_value") is None


def test_a_text_on_a_line_that_routes_nowhere_is_not_queued(client, desk) -> None:
    client.update("comms_smsnumbers", desk["line"], {"comms_inboundroute": schema.INBOUND_ROUTES.value_of("Nobody")})
    router = InboundRouter(client, clock=desk["clock"])  # a new worker reads the changed line
    inbound = InboundService(
        client,
        desk["inbound"]._accounts,
        plan=NumberPlan(),
        index=lambda: None,
        services=KeywordServiceRegistry(),
        clock=desk["clock"],
        router=router,
    )
    inbound.receive("kv-route", [InboundSms("r-3", "09127770001", LINE, "hi", NOW)])

    assert _activity(client, "r-3")["comms_routedueon"] is None
    assert router.route_pending().queued == []
