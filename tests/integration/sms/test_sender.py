"""The sender against the Dataverse emulator, with provider HTTP mocked at its real wire format.

Proves: a pending SMS is sent once; a crash between the provider's acceptance and the outcome write,
then a rerun, sends nothing again (found by our id); an unknown outcome at a provider without
look-ups is never resent; opted-out, numberless and badly filled messages never leave; retries follow
the account's policy; two workers never both claim one SMS.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest
import requests
import responses
from responses import matchers

from connectors.dataverse import DataverseClient, StaticToken
from connectors.sms.kavenegar import local_id as kavenegar_local_id
from emulator.server import EmulatorServer
from services.factory import SmsServices, build_sms
from services.settings import AppSettings
from services.sms.rows import AttemptStatus, SmsStatus
from services.sms.sender import SendResult, SmsSender, attempt_key
from services.sms.sweep import sweep

from .conftest import (
    ENVIRON,
    KAVENEGAR,
    KAVENEGAR_KEY,
    TWILIO,
    TWILIO_SID,
    Clock,
    add_contact,
    add_provider,
    add_sms,
    attempts,
    fixture,
    kavenegar_reply,
    sms,
)

SEND = f"{KAVENEGAR}/sms/send.json"
LOOKUP = f"{KAVENEGAR}/sms/statuslocalmessageid.json"


def accepted(message_id: int, local_id: str) -> dict:
    entry = {**fixture("kavenegar", "send_one_queued.json")["entries"][0], "messageid": message_id, "localid": local_id}
    return kavenegar_reply([entry])


def test_a_pending_sms_is_sent_once_with_our_id_and_the_filled_text(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock
) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))
    key = attempt_key(sms_id, 1)
    send = wire.post(
        SEND,
        json=accepted(8792343, key),
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "receptor": "09121234567",
                    "message": "سلام Ali",
                    "localid": kavenegar_local_id(key),
                    "sender": "10004346",
                }
            )
        ],
    )

    assert runtime.sender.send(sms_id).result is SendResult.SENT
    assert runtime.sender.send(sms_id).result is SendResult.SKIPPED

    assert send.call_count == 1
    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.QUEUED.value_code
    assert (row["comms_providermessageid"], row["comms_provideraccountkey"]) == ("8792343", "kn-main")
    assert (row["comms_message"], row["comms_phonenumber"], row["comms_segments"]) == ("سلام Ali", "+989121234567", 1)
    assert row["comms_senton"] and row["comms_attempts"] == 1 and row["comms_sendernumber"] == "10004346"
    (attempt,) = attempts(client, sms_id)
    assert attempt["comms_attemptkey"] == key
    assert attempt["comms_attemptstatus"] == AttemptStatus.ACCEPTED.value_code
    assert attempt["comms_providermessageid"] == "8792343" and attempt["comms_requestedon"]


def test_a_crash_after_the_provider_accepted_is_reconciled_by_our_id_not_resent(
    client: DataverseClient,
    runtime: SmsServices,
    wire: responses.RequestsMock,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))
    key = attempt_key(sms_id, 1)
    send = wire.post(SEND, json=accepted(8792343, key))

    def crash(*args: object) -> None:
        raise RuntimeError("worker killed between the provider's answer and our write")

    monkeypatch.setattr(SmsSender, "_record_receipt", crash)
    with pytest.raises(RuntimeError):
        runtime.sender.send(sms_id)
    monkeypatch.undo()
    assert sms(client, sms_id)["comms_smsstatus"] == SmsStatus.SENDING.value_code
    assert runtime.sender.send(sms_id).result is SendResult.SKIPPED  # the claim is still fresh

    lookup = wire.post(
        LOOKUP,
        match=[matchers.urlencoded_params_matcher({"localid": kavenegar_local_id(key)})],
        json=kavenegar_reply(
            [{"messageid": 8792343, "localid": kavenegar_local_id(key), "status": 4, "statustext": "ارسال به مخابرات"}]
        ),
    )
    clock.advance(301)
    assert runtime.sender.send(sms_id).result is SendResult.SENT

    assert send.call_count == 1 and lookup.call_count == 1
    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.SENT_TO_OPERATOR.value_code
    assert row["comms_providermessageid"] == "8792343" and row["comms_operatoron"]
    (attempt,) = attempts(client, sms_id)
    assert attempt["comms_attemptstatus"] == AttemptStatus.SENT_TO_OPERATOR.value_code and attempt["comms_reconciledon"]


def test_a_crashed_attempt_the_provider_never_saw_is_sent_again_as_a_new_attempt(
    client: DataverseClient,
    runtime: SmsServices,
    wire: responses.RequestsMock,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))

    def crash(*args: object) -> None:
        raise RuntimeError("killed before the request left")

    monkeypatch.setattr(type(runtime.registry.default().provider), "send", crash)
    with pytest.raises(RuntimeError):
        runtime.sender.send(sms_id)
    monkeypatch.undo()
    wire.post(
        LOOKUP,
        json=kavenegar_reply(
            [
                {
                    "messageid": 0,
                    "localid": attempt_key(sms_id, 1),
                    "status": 100,
                    "statustext": "شناسه پیامک نامعتبر است",
                }
            ]
        ),
    )
    second = attempt_key(sms_id, 2)
    wire.post(
        SEND,
        json=accepted(8792399, second),
        match=[
            matchers.urlencoded_params_matcher(
                {"localid": kavenegar_local_id(second)}, allow_blank=False, strict_match=False
            )
        ],
    )
    clock.advance(301)

    assert runtime.sender.send(sms_id).result is SendResult.SENT
    first, again = attempts(client, sms_id)
    assert first["comms_attemptstatus"] == AttemptStatus.FAILED.value_code and "never sent" in first["comms_error"]
    assert again["comms_attemptkey"] == second and again["comms_providermessageid"] == "8792399"


def test_an_unknown_outcome_at_a_provider_without_look_ups_is_left_for_a_person_and_never_resent(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_provider(
        client,
        "tw-intl",
        "twilio",
        reference="TW_TOKEN",
        settings={"account_sid": TWILIO_SID, "default_sender": "+14155552345"},
    )
    sms_id = add_sms(client, add_contact(client))
    send = wire.post(f"{TWILIO}/Messages.json", body=requests.exceptions.ReadTimeout("no answer"))

    outcome = runtime.sender.send(sms_id)
    clock.advance(3600)
    summary = sweep(runtime.store, runtime.sender, clock=clock)

    assert outcome.result is SendResult.NEEDS_CHECK and summary.found == 0
    assert send.call_count == 1
    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.OUTCOME_UNKNOWN.value_code and "check its panel" in row["comms_error"]
    (attempt,) = attempts(client, sms_id)
    assert attempt["comms_attemptstatus"] == AttemptStatus.OUTCOME_UNKNOWN.value_code


@pytest.mark.parametrize(
    "opted_out",
    # As a keyword writes it, and as a user may type it by hand: national, Persian or Arabic-Indic digits.
    ["+989121234567", "09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "989121234567"],
)
def test_an_opted_out_recipient_is_never_sent_to(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, opted_out: str
) -> None:
    add_provider(client)
    client.create("comms_smsoptouts", {"comms_phonenumber": opted_out, "comms_keyword": "لغو11"})
    sms_id = add_sms(client, add_contact(client))

    assert runtime.sender.send(sms_id).result is SendResult.FAILED

    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.FAILED.value_code and "opted out" in row["comms_error"]
    assert attempts(client, sms_id) == [] and len(wire.calls) == 0


def test_an_opt_out_typed_with_spaces_stops_a_single_send_once_the_sweep_ran(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock
) -> None:
    add_provider(client)
    client.create("comms_smsoptouts", {"comms_phonenumber": "0912 123 4567"})  # as a user types it (SMS-15)
    runtime.sweep()
    sms_id = add_sms(client, add_contact(client))

    assert runtime.sender.send(sms_id).result is SendResult.FAILED

    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.FAILED.value_code and "opted out" in row["comms_error"]
    assert attempts(client, sms_id) == [] and len(wire.calls) == 0


@pytest.mark.parametrize(
    "contact, text, expected",
    [
        ({"mobile": ""}, "hi", "no mobile number"),
        ({"mobile": "02188776655"}, "hi", "not a mobile number"),
        ({}, "Dear {jobtitle}", "jobtitle has no value"),
        ({}, "Dear {firstname", "never closed"),
    ],
)
def test_user_mistakes_fail_the_sms_in_plain_words_and_send_nothing(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, contact: dict, text: str, expected: str
) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client, **contact), text)

    assert runtime.sender.send(sms_id).result is SendResult.FAILED
    assert expected in sms(client, sms_id)["comms_error"] and len(wire.calls) == 0


def test_field_values_that_look_like_placeholders_are_sent_as_typed(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock
) -> None:
    add_provider(client)
    hostile = "{lastname} {{x}} %s {0.__class__} ${env:KEY}"
    sms_id = add_sms(client, add_contact(client, first=hostile), "Hi {firstname}!")
    wire.post(
        SEND,
        json=accepted(1, attempt_key(sms_id, 1)),
        match=[matchers.urlencoded_params_matcher({"message": f"Hi {hostile}!"}, strict_match=False)],
    )

    assert runtime.sender.send(sms_id).result is SendResult.SENT
    assert sms(client, sms_id)["comms_message"] == f"Hi {hostile}!"


def test_a_failed_send_is_retried_on_schedule_and_a_refusal_never(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))
    busy = wire.post(SEND, status=200, json={"return": {"status": 409, "message": "busy"}, "entries": None})

    assert runtime.sender.send(sms_id).result is SendResult.RETRY_LATER
    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.PENDING.value_code and row["comms_nextattempton"]
    assert sweep(runtime.store, runtime.sender, clock=clock).found == 0  # not due yet

    wire.remove(busy)
    wire.post(SEND, status=200, json=fixture("kavenegar", "error_418_no_credit.json"))
    clock.advance(61)
    assert sweep(runtime.store, runtime.sender, clock=clock).results == {"failed": 1}
    row = sms(client, sms_id)
    assert row["comms_smsstatus"] == SmsStatus.FAILED.value_code and "credit" in row["comms_error"]
    assert [a["comms_attempt"] for a in attempts(client, sms_id)] == [1, 2]


def test_attempts_stop_at_the_accounts_configured_count(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    add_provider(client, comms_maxattempts=2, comms_retryintervalseconds=10)
    sms_id = add_sms(client, add_contact(client))
    wire.post(SEND, status=503, body="Service Unavailable")

    assert runtime.sender.send(sms_id).result is SendResult.RETRY_LATER
    clock.advance(11)
    assert runtime.sender.send(sms_id).result is SendResult.FAILED
    assert "all 2 send attempts failed" in sms(client, sms_id)["comms_error"]


def test_two_workers_reading_the_same_pending_sms_claim_it_once(
    client: DataverseClient, runtime: SmsServices, clock: Clock
) -> None:
    sms_id = add_sms(client, add_contact(client))
    first, second = runtime.store.get_sms(sms_id), runtime.store.get_sms(sms_id)

    assert runtime.store.claim(first, clock()) is True
    assert runtime.store.claim(second, clock()) is False


def test_the_owners_dedicated_number_is_the_sender(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock
) -> None:
    provider_id = add_provider(client)
    user_id = client.whoami()["UserId"]
    client.create(
        "comms_smsnumbers",
        {
            "comms_name": "Sara's line",
            "comms_number": "30004505",
            "comms_SmsProviderId@odata.bind": f"/comms_smsproviders({provider_id})",
            "comms_SystemUserId@odata.bind": f"/systemusers({user_id})",
        },
    )
    sms_id = add_sms(client, add_contact(client))
    wire.post(
        SEND,
        json=accepted(5, attempt_key(sms_id, 1)),
        match=[matchers.urlencoded_params_matcher({"sender": "30004505"}, strict_match=False)],
    )

    assert runtime.sender.send(sms_id).result is SendResult.SENT
    assert sms(client, sms_id)["comms_sendernumber"] == "30004505"


def test_the_default_flag_picks_the_account_and_a_broken_account_says_why(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock
) -> None:
    add_provider(client, "kn-old", default=False)
    add_provider(client, "broken", default=True, reference="NOT_SET")
    sms_id = add_sms(client, add_contact(client))

    assert runtime.sender.send(sms_id).result is SendResult.FAILED
    assert "app setting NOT_SET" in sms(client, sms_id)["comms_error"] and len(wire.calls) == 0


def test_the_provider_key_never_reaches_logs_or_records(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    add_provider(client)
    sms_id = add_sms(client, add_contact(client))
    wire.post(SEND, body=requests.exceptions.ConnectionError(f"refused {KAVENEGAR}"))

    runtime.sender.send(sms_id)

    assert KAVENEGAR_KEY not in caplog.text
    assert KAVENEGAR_KEY not in str(sms(client, sms_id)) and KAVENEGAR_KEY not in str(attempts(client, sms_id))


class CountingSession(requests.Session):
    """A real session that notes every GET's path, to count the reads a message costs."""

    def __init__(self) -> None:
        super().__init__()
        self.gets: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if request.method == "GET":
            self.gets.append(unquote(str(request.path_url)))
        return super().send(request, **kwargs)


def related_runtime(
    emulator: EmulatorServer, settings: AppSettings, clock: Clock
) -> tuple[SmsServices, CountingSession]:
    session = CountingSession()
    client = DataverseClient(base_url=emulator.origin, session=session, token_provider=StaticToken("t"), retry=None)
    return build_sms(settings, client, session=requests.Session(), clock=clock, secrets=ENVIRON), session


def add_account_with_contact(client: DataverseClient, **account: Any) -> tuple[str, str]:
    boss = add_contact(client, "09120000001", first="Sara")
    account_id = client.create(
        "accounts", {"name": "Acme Trading", "primarycontactid@odata.bind": f"/contacts({boss})", **account}
    )
    contact_id = add_contact(client, **{"parentcustomerid_account@odata.bind": f"/accounts({account_id})"})
    return account_id, contact_id


def test_placeholders_reach_through_lookups_with_one_read_per_record(
    client: DataverseClient, emulator: EmulatorServer, settings: AppSettings, clock: Clock, wire: responses.RequestsMock
) -> None:
    add_provider(client)
    account_id, contact_id = add_account_with_contact(client)
    text = "{firstname} of {contact.parentcustomerid.name}, ask {contact.parentcustomerid.primarycontactid.firstname}"
    sms_id = add_sms(client, contact_id, text)
    wire.post(
        SEND,
        json=accepted(9, attempt_key(sms_id, 1)),
        match=[matchers.urlencoded_params_matcher({"message": "Ali of Acme Trading, ask Sara"}, strict_match=False)],
    )
    runtime, session = related_runtime(emulator, settings, clock)

    assert runtime.sender.send(sms_id).result is SendResult.SENT
    record_reads = [p for p in session.gets if "/contacts(" in p or "/accounts(" in p]
    # the contact (its account expanded in the same read), then the account's primary contact by id
    assert len([p for p in record_reads if contact_id in p]) == 1
    assert not [p for p in record_reads if account_id in p] and len(record_reads) == 2


def test_a_customer_lookup_past_the_first_hop_is_followed_to_the_table_it_names(
    client: DataverseClient, emulator: EmulatorServer, settings: AppSettings, clock: Clock, wire: responses.RequestsMock
) -> None:
    """The account's primary contact (hop 2) belongs to a parent account through *parentcustomerid*, a lookup to
    account or contact: the record read at hop 2 must say which table it names."""
    add_provider(client)
    group = client.create("accounts", {"name": "Acme Group"})
    account_id, contact_id = add_account_with_contact(client)
    boss = client.retrieve("accounts", account_id, select=["_primarycontactid_value"])["_primarycontactid_value"]
    client.update("contacts", boss, {"parentcustomerid_account@odata.bind": f"/accounts({group})"})
    sms_id = add_sms(client, contact_id, "{contact.parentcustomerid.primarycontactid.parentcustomerid.name}")
    wire.post(
        SEND,
        json=accepted(9, attempt_key(sms_id, 1)),
        match=[matchers.urlencoded_params_matcher({"message": "Acme Group"}, strict_match=False)],
    )
    runtime, _ = related_runtime(emulator, settings, clock)

    assert runtime.sender.send(sms_id).result is SendResult.SENT


def test_a_related_date_through_the_regarding_record_is_written_in_the_jalali_calendar(
    client: DataverseClient, emulator: EmulatorServer, settings: AppSettings, clock: Clock, wire: responses.RequestsMock
) -> None:
    add_provider(client)
    account_id, contact_id = add_account_with_contact(client)
    case_id = client.create(
        "incidents", {"title": "Renewal", "customerid_account@odata.bind": f"/accounts({account_id})"}
    )
    sms_id = add_sms(
        client,
        contact_id,
        "{regarding.title}: {regarding.customerid.createdon|jalali}",
        **{"regardingobjectid_incident_comms_sms@odata.bind": f"/incidents({case_id})"},
    )
    sent: list[str] = []

    def jalali_text(request: requests.PreparedRequest) -> tuple[bool, str]:
        sent.append(parse_qs(str(request.body))["message"][0])
        return bool(re.fullmatch(r"Renewal: 14\d\d/\d\d/\d\d", sent[-1])), sent[-1]

    wire.post(SEND, json=accepted(4, attempt_key(sms_id, 1)), match=[jalali_text])
    runtime, _ = related_runtime(emulator, settings, clock)

    assert runtime.sender.send(sms_id).result is SendResult.SENT, sent


@pytest.mark.parametrize(
    "text, expected",
    [
        ("{contact.parentcustomerid.nmae}", "{contact.parentcustomerid.nmae}: account has no column nmae"),
        ("{contact.firstname.x}", "firstname on contact is not a lookup"),
        ("{contact.parentcustomerid}", "parentcustomerid on contact is a lookup"),
        ("{contact.parentcustomerid.parentaccountid.name}", "parentaccountid is empty on the account"),
        ("{a.b.c.d.e}", "at most 3 lookups"),
    ],
)
def test_a_wrong_or_empty_related_field_fails_the_sms_in_plain_words(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, text: str, expected: str
) -> None:
    add_provider(client)
    _, contact_id = add_account_with_contact(client)
    sms_id = add_sms(client, contact_id, text)

    assert runtime.sender.send(sms_id).result is SendResult.FAILED
    assert expected in sms(client, sms_id)["comms_error"] and len(wire.calls) == 0


def test_an_empty_lookup_takes_the_placeholders_default_and_hostile_values_stay_text(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock
) -> None:
    add_provider(client)
    hostile = "{contact.mobilephone} {{x}} {0.__class__}"
    _, contact_id = add_account_with_contact(client, name=hostile)
    sms_id = add_sms(
        client,
        contact_id,
        '{contact.parentcustomerid.name} / {contact.parentcustomerid.parentaccountid.name|default:"no group"}',
    )
    wire.post(
        SEND,
        json=accepted(3, attempt_key(sms_id, 1)),
        match=[matchers.urlencoded_params_matcher({"message": f"{hostile} / no group"}, strict_match=False)],
    )

    assert runtime.sender.send(sms_id).result is SendResult.SENT
