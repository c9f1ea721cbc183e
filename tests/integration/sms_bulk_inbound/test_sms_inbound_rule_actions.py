"""SMS-16 / SMS-24 against the emulator: every rule action end to end, and routing per matched rule.

The matched rule is written on the text (*Matched Rule*) in the change set that stores it, with its
*Route Due On*; the routing timer reads the rule's route from the stored text. What a rule creates
(case, lead, task, their queue items) has deterministic ids, so a redelivered text or a routing
re-run after a crash creates nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.dataverse import RecordId, bind, deterministic_id, odata
from dataverse_schema import sms as schema
from domain.sms import InboundSms
from emulator.server import EmulatorServer, FaultPlan

from . import seed
from .conftest import TOKEN

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
LINE = "3000202050"
ACCOUNT_KEY = "kv-rules"
KNOWN = "09127770055"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    """An emulator of each test's own: the rules, texts and deterministic ids of one test never meet another's,
    whichever tests xdist ran before it."""
    with EmulatorServer(
        tmp_path / "dataverse.sqlite", faults=FaultPlan.none(), token=TOKEN, key_activation_s=0
    ) as emulator:
        yield emulator


@pytest.fixture
def desk(client, session):
    user_queue = client.create("queues", {"name": "Leila's queue"})
    line_queue = client.create("queues", {"name": "Line desk"})
    sales_queue = client.create("queues", {"name": "Sales"})
    team = client.create("teams", {"name": "Sales team"})
    user = client.create(
        "systemusers", {"firstname": "Leila", "lastname": "Rad", **bind("queueid", "queues", user_queue)}
    )
    contact = client.create(
        "contacts",
        {"firstname": "Omid", "lastname": "Naseri", "mobilephone": KNOWN, **bind("ownerid", "systemusers", user)},
    )
    account_id = seed.provider_account(client, ACCOUNT_KEY)
    seed.routed_line(client, "rules", LINE, account_id, line_queue)
    clock = seed.Clock(NOW)
    inbound, router = seed.routed_inbound(client, session, ACCOUNT_KEY, account_id, clock)
    return {
        "inbound": inbound,
        "router": router,
        "clock": clock,
        "user": user,
        "user_queue": user_queue,
        "line_queue": line_queue,
        "sales_queue": sales_queue,
        "team": team,
        "contact": contact,
    }


def rule(client, name: str, keywords: str, action: str, **extra) -> str:
    rule_id = deterministic_id("routing-rule", name)
    client.upsert(
        "comms_keywordrules",
        RecordId(rule_id),
        {
            "comms_name": name,
            "comms_keywords": keywords,
            "comms_action": schema.RULE_ACTIONS.value_of(action),
            "comms_order": 10,
            **extra,
        },
    )
    return rule_id


def text(provider_id: str, body: str, sender: str = KNOWN) -> InboundSms:
    return InboundSms(provider_id, sender, LINE, body, NOW)


def stored(client, provider_id: str) -> dict:
    (row,) = client.query(
        "comms_smses",
        select=["activityid", "comms_routedueon", "comms_queuedon", "_comms_keywordruleid_value", "comms_error"],
        filter=odata.and_(
            odata.eq("comms_provideraccountkey", ACCOUNT_KEY), odata.eq("comms_providermessageid", provider_id)
        ),
    )
    return row


def queue_items(client, object_id: str) -> list[dict]:
    return list(
        client.query(
            "queueitems",
            select=["_queueid_value", "_workerid_value"],
            filter=odata.eq("_objectid_value", uuid.UUID(str(object_id))),
        )
    )


def due(row: dict) -> datetime:
    return datetime.fromisoformat(row["comms_routedueon"].replace("Z", "+00:00"))


def test_a_rule_routing_to_its_queue_is_stored_on_the_text_and_routes_once(client, desk) -> None:
    sales = rule(
        client,
        "price",
        "قیمت",
        "Create task",
        comms_inboundroute=schema.RULE_ROUTES.value_of("Queue"),
        comms_routewithinminutes=2,
        **bind("comms_QueueId", "queues", desk["sales_queue"]),
    )
    desk["inbound"].receive(ACCOUNT_KEY, [text("k-1", "قیمت اینترنت ۱۰۰ گیگ")])
    row = stored(client, "k-1")
    assert row["_comms_keywordruleid_value"] == sales  # written with the text, before any routing
    assert due(row) == NOW + timedelta(minutes=2)

    desk["clock"].now = NOW + timedelta(minutes=1)
    assert desk["router"].route_pending().queued == [row["activityid"]]
    (item,) = queue_items(client, row["activityid"])
    assert item["_queueid_value"] == desk["sales_queue"] and item["_workerid_value"] is None

    # A crash between the queue item and Queued On: the re-run writes the same item, not a second one.
    client.update("comms_smses", RecordId(row["activityid"]), {"comms_queuedon": None})
    assert desk["router"].route_pending().queued == [row["activityid"]]
    assert len(queue_items(client, row["activityid"])) == 1
    # Redelivered by the provider: a duplicate, nothing routed or created again.
    assert desk["inbound"].receive(ACCOUNT_KEY, [text("k-1", "قیمت اینترنت ۱۰۰ گیگ")]).duplicates == ["k-1"]
    assert desk["router"].route_pending().queued == []


def test_a_rule_that_keeps_the_lines_route_sends_the_text_to_the_owner(client, desk) -> None:
    kept = rule(client, "hello", "سلام", "Start flow")
    desk["inbound"].receive(ACCOUNT_KEY, [text("k-2", "سلام وقت بخیر")])
    row = stored(client, "k-2")
    assert row["_comms_keywordruleid_value"] == kept and due(row) == NOW + timedelta(minutes=10)
    desk["router"].route_pending()
    (item,) = queue_items(client, row["activityid"])
    assert (item["_queueid_value"], item["_workerid_value"]) == (desk["user_queue"], desk["user"])


def test_a_rule_routing_nowhere_overrides_a_line_that_routes(client, desk) -> None:
    rule(client, "thanks", "ممنون", "Start flow", comms_inboundroute=schema.RULE_ROUTES.value_of("Nobody"))
    desk["inbound"].receive(ACCOUNT_KEY, [text("k-3", "ممنون")])
    assert stored(client, "k-3")["comms_routedueon"] is None
    assert desk["router"].route_pending().queued == []


def test_a_rule_routing_to_the_owner_falls_back_to_its_queue_for_an_unknown_sender(client, desk) -> None:
    rule(
        client,
        "owner",
        "پیگیری",
        "Start flow",
        comms_inboundroute=schema.RULE_ROUTES.value_of("Owner of matched record"),
        **bind("comms_QueueId", "queues", desk["sales_queue"]),
    )
    desk["inbound"].receive(ACCOUNT_KEY, [text("k-4", "پیگیری سفارش", sender="09120000404")])
    row = stored(client, "k-4")
    desk["router"].route_pending()
    (item,) = queue_items(client, row["activityid"])
    assert item["_queueid_value"] == desk["sales_queue"]


def test_create_case_owned_by_the_team_and_put_in_the_rules_queue(client, desk) -> None:
    rule(
        client,
        "outage",
        "قطعی",
        "Create case",
        comms_casetitle="Outage",
        **bind("comms_TeamId", "teams", desk["team"]),
        **bind("comms_QueueId", "queues", desk["sales_queue"]),
    )
    desk["inbound"].receive(ACCOUNT_KEY, [text("k-5", "قطعی اینترنت از صبح")])
    case_id = deterministic_id("sms-case", ACCOUNT_KEY, "k-5")
    case = client.retrieve("incidents", RecordId(case_id), select=["title", "description", "_ownerid_value"])
    assert (case["title"], case["description"], case["_ownerid_value"]) == ("Outage", "اینترنت از صبح", desk["team"])
    (item,) = queue_items(client, case_id)
    assert item["_queueid_value"] == desk["sales_queue"]
    assert "not put in the queue" not in (stored(client, "k-5")["comms_error"] or "")


def test_create_lead_from_an_unknown_sender_makes_the_text_regard_the_lead(client, desk) -> None:
    rule(
        client,
        "offer",
        "تخفیف",
        "Create lead",
        comms_casetitle="SMS campaign reply",
        **bind("comms_TeamId", "teams", desk["team"]),
        **bind("comms_QueueId", "queues", desk["sales_queue"]),
    )
    desk["inbound"].receive(ACCOUNT_KEY, [text("k-6", "تخفیف ویژه را می‌خواهم", sender="09121112233")])
    lead_id = deterministic_id("sms-lead", ACCOUNT_KEY, "k-6")
    lead = client.retrieve(
        "leads", RecordId(lead_id), select=["subject", "mobilephone", "description", "_ownerid_value"]
    )
    assert lead["subject"] == "SMS campaign reply" and lead["mobilephone"] == "+989121112233"
    assert lead["description"] == "ویژه را می‌خواهم" and lead["_ownerid_value"] == desk["team"]
    activity = client.retrieve(
        "comms_smses", RecordId(stored(client, "k-6")["activityid"]), select=["_regardingobjectid_value"]
    )
    assert activity["_regardingobjectid_value"] == lead_id
    assert [i["_queueid_value"] for i in queue_items(client, lead_id)] == [desk["sales_queue"]]


def test_create_task_regarding_the_matched_contact(client, desk) -> None:
    rule(
        client,
        "callback",
        "تماس",
        "Create task",
        **bind("comms_TeamId", "teams", desk["team"]),
        **bind("comms_QueueId", "queues", desk["sales_queue"]),
    )
    desk["inbound"].receive(ACCOUNT_KEY, [text("k-7", "تماس بگیرید لطفا")])
    task_id = deterministic_id("sms-task", ACCOUNT_KEY, "k-7")
    task = client.retrieve(
        "tasks", RecordId(task_id), select=["subject", "description", "_regardingobjectid_value", "_ownerid_value"]
    )
    assert task["subject"] == "Follow up SMS from +989127770055" and task["description"] == "بگیرید لطفا"
    assert (task["_regardingobjectid_value"], task["_ownerid_value"]) == (desk["contact"], desk["team"])
    assert [i["_queueid_value"] for i in queue_items(client, task_id)] == [desk["sales_queue"]]
