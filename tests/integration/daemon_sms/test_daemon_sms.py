"""The daemon with only ``[sms]`` runs what the Functions app runs, with no Azure service (issue 14, §4).

Against the Dataverse emulator and the fake Kavenegar over real HTTP: a pending
SMS is found by the daemon's poll (the sweep job) and sent; the provider's
delivery report, posted to the daemon's endpoint, marks it delivered; a
customer's «بحرانی» text posted to the daemon opens a Case; a bulk started over
the daemon's endpoint is run by its bulk job; the endpoint authenticates as the
Functions app does. Jobs are run on request (the scheduler's own timing is
tested in tests/unit/bridge/test_sms_schedule.py); waits are on events.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests

from connectors.dataverse import bind, odata
from dataverse_schema import sms as schema
from services.sms.rows import SmsStatus
from tests.integration.sms_bulk_inbound import seed

from .world import ACCOUNT_KEY, CASE_TITLE, LINE, PUSH_KEY, configure_crm

pytestmark = pytest.mark.integration
WAIT_S = 20


def _pending_sms(client, contact_id: str, text: str) -> str:
    return client.create(
        "comms_smses",
        {
            "subject": "on-premises",
            "comms_message": text,
            "comms_phonenumber": "",
            "comms_smsstatus": SmsStatus.PENDING.value_code,
            "comms_sms_activity_parties": [
                {**bind("partyid_contact", "contacts", contact_id), "participationtypemask": 2}
            ],
        },
    )


def _status(client, sms_id: str) -> int:
    return client.retrieve("comms_smses", sms_id, select=["comms_smsstatus"])["comms_smsstatus"]


def test_a_pending_sms_is_sent_by_the_poll_and_delivered_by_the_webhook(client, provider, daemon) -> None:
    configure_crm(client, provider.base_url)
    contact_id = client.create("contacts", {"firstname": "Sara", "lastname": "Karimi", "mobilephone": "09127654321"})
    sms_id = _pending_sms(client, contact_id, "سلام {firstname}")
    assert daemon.run_job("sms_sweep")
    assert [m["receptor"] for m in provider.sent] == ["09127654321"]
    assert provider.sent[0]["message"] == "سلام Sara"
    assert provider.answered.acquire(timeout=WAIT_S)  # the fake's delivery report, answered by the daemon
    assert provider.pushes[-1] == {**provider.pushes[-1], "kind": "delivery", "status": 200}
    assert _status(client, sms_id) == SmsStatus.DELIVERED.value_code
    assert daemon.run_job("sms_sweep")  # nothing is sent twice
    assert len(provider.sent) == 1


def test_an_inbound_keyword_text_posted_to_the_daemon_opens_a_case(client, provider, daemon) -> None:
    configure_crm(client, provider.base_url)
    contact_id = client.create("contacts", {"firstname": "Ali", "lastname": "Rezaei", "mobilephone": "09121234567"})
    provider.inject_inbound("09121234567", LINE, "بحرانی: فرم سفارش ذخیره نمی‌شود")
    assert provider.pushes[-1]["kind"] == "inbound" and provider.pushes[-1]["status"] == 200
    cases = list(client.query("incidents", select=["title", "_customerid_value"], filter=odata.eq("title", CASE_TITLE)))
    assert [(c["title"], c["_customerid_value"]) for c in cases] == [(CASE_TITLE, contact_id)]


def test_a_bulk_started_at_the_daemon_is_run_by_its_bulk_job(client, provider, daemon, sms_port) -> None:
    account_id = configure_crm(client, provider.base_url)
    contact_ids = seed.contacts(client, "daemon-bulk", 12)
    list_id = seed.static_list(client, "daemon-bulk", contact_ids)
    bulk_id = seed.bulk(client, "daemon-bulk", account_id=account_id, list_id=list_id, message="Branch closed")
    client.update(
        "comms_smsbulks",
        bulk_id,
        {"comms_istransactional": True, "comms_bulkstate": schema.BULK_STATE.value_of("Draft")},
    )
    started = requests.post(
        f"http://127.0.0.1:{sms_port}/api/sms/bulk/{bulk_id}/start",
        headers={"x-functions-key": PUSH_KEY},
        timeout=WAIT_S,
    )
    assert started.status_code == 202 and started.json()["state"] in ("Queued", "Running")
    assert daemon.run_job("sms_bulk_continue")
    assert Counter(m["receptor"] for m in provider.sent) == Counter(f"0912{n:07d}" for n in range(12))
    bulk = client.retrieve("comms_smsbulks", bulk_id, select=["comms_bulkstate", "comms_sentcount"])
    assert (bulk["comms_bulkstate"], bulk["comms_sentcount"]) == (schema.BULK_STATE.value_of("Completed"), 12)


@pytest.mark.parametrize(
    ("path", "params", "headers", "body", "status"),
    [
        ("/sms/push", {}, {}, b"{}", 401),
        ("/sms/push", {"code": "wrong"}, {}, b"{}", 401),
        ("/sms/push", {"code": PUSH_KEY}, {}, b"not json", 400),
        (
            "/sms/push",
            {},
            {"x-functions-key": PUSH_KEY},
            json.dumps(
                {
                    "PrimaryEntityName": "contact",
                    "PrimaryEntityId": "7d6c0b4e-1f7c-4a43-9d8a-3c0e8f0c1a11",
                    "MessageName": "Create",
                }
            ).encode(),
            400,
        ),
        (f"/sms/dlr/{ACCOUNT_KEY}", {"token": "forged"}, {}, b"messageid=1&status=10", 401),
        (f"/sms/inbound/{ACCOUNT_KEY}", {}, {}, b"from=0912&to=3000&message=x", 401),
        ("/sms/dlr/no-such-account", {"token": "x"}, {}, b"", 401),
        ("/sms/bulk/not-a-guid/start", {"code": PUSH_KEY}, {}, b"", 400),
        ("/sms/elsewhere", {}, {}, b"", 404),
    ],
)
def test_the_endpoint_answers_as_the_functions_app(
    client, provider, daemon, sms_port, path, params, headers, body, status
) -> None:
    configure_crm(client, provider.base_url)
    answer = requests.post(
        f"http://127.0.0.1:{sms_port}{path}", params=params, headers=headers, data=body, timeout=WAIT_S
    )
    assert answer.status_code == status


def test_a_delivery_report_token_cannot_post_inbound_texts(client, provider, daemon, sms_port) -> None:
    configure_crm(client, provider.base_url)
    token = provider.delivery_url.split("token=", 1)[1]
    answer = requests.post(
        f"http://127.0.0.1:{sms_port}/sms/inbound/{ACCOUNT_KEY}",
        params={"token": token},
        data={"from": "09121234567", "to": LINE, "message": "لغو", "messageid": "9"},
        timeout=WAIT_S,
    )
    assert answer.status_code == 401


def test_a_dataverse_webhook_push_is_sent_at_once(client, provider, daemon, sms_port) -> None:
    configure_crm(client, provider.base_url)
    contact_id = client.create("contacts", {"firstname": "Reza", "lastname": "N", "mobilephone": "09351112233"})
    sms_id = _pending_sms(client, contact_id, "Hello {firstname}")
    context = {"MessageName": "Create", "PrimaryEntityName": "comms_sms", "PrimaryEntityId": sms_id}
    answer = requests.post(
        f"http://127.0.0.1:{sms_port}/sms/push", params={"code": PUSH_KEY}, data=json.dumps(context), timeout=WAIT_S
    )
    assert answer.status_code == 200 and answer.json() == {"sms": sms_id, "result": "sent"}
    assert daemon.run_job("sms_sweep")  # the claim by etag: the poll finds nothing more to send
    assert [m["receptor"] for m in provider.sent] == ["09351112233"]
