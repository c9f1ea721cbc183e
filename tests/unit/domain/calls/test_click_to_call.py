"""The pure click-to-call planner, the spy planner and the outcome → status mapping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataverse_schema.telephony import CLICK_TO_CALL_STATUS
from domain.calls.click_to_call import (
    UNCONFIRMED_ERROR,
    ClickToCallRequest,
    ClickToCallStatus,
    DialPlan,
    OriginateOutcome,
    Refusal,
    RefusalCode,
    SpyPlan,
    outcome_update,
    plan_click_to_call,
    plan_spy,
    refusal_update,
)
from domain.calls.system_settings import ExtensionSettings, LineSettings, TelephonySystemSettings
from domain.numbers import NumberPlan

SARA, REZA, BOSS = "user-sara", "user-reza", "user-boss"


def system(*, release: str = "9", lines: dict | None = None, extensions: dict | None = None) -> TelephonySystemSettings:
    default_lines = {
        "trunk-1": LineSettings("trunk-1", record_id="line-guid-1", number="+982188881000", is_default=True),
        "trunk-2": LineSettings("trunk-2", record_id="line-guid-2", number="02177770000", dial_prefix="71"),
    }
    default_extensions = {
        "201": ExtensionSettings("201", record_id="ext-guid-201", user_id=SARA),
        "202": ExtensionSettings("202", record_id="ext-guid-202", user_id=REZA, channel="SIP/202", can_originate=False),
        "203": ExtensionSettings("203", user_id=REZA, channel="Local/203@from-internal"),
        "300": ExtensionSettings("300", user_id=BOSS),
    }
    return TelephonySystemSettings(
        key="tehran-hq",
        name="Tehran HQ",
        plan=NumberPlan(country_code=98, city_code="21", line_release_prefix=release),
        lines=default_lines if lines is None else lines,
        extensions=default_extensions if extensions is None else extensions,
    )


def request(number: str, user: str = SARA, **extra) -> ClickToCallRequest:
    return ClickToCallRequest("req-1", user, number, **extra)


@pytest.mark.parametrize(
    "number, dialled",
    [
        ("09121234567", "909121234567"),
        ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "909121234567"),  # Persian digits, spaces
        ("+98 912 123 4567", "909121234567"),
        ("\u200f0912-123-4567\u200e", "909121234567"),  # bidi marks from an RTL form
        ("021 8888 1234", "988881234"),  # own city: no city code
        ("88881234", "988881234"),
        ("(031) 3222 4567", "903132224567"),
        ("+44 20 7946 0958", "900442079460958"),
        ("tel:+989121234567;ext=12", "909121234567"),
    ],
)
def test_numbers_get_the_line_release_prefix_and_national_form(number: str, dialled: str) -> None:
    plan = plan_click_to_call(request(number), system())
    assert isinstance(plan, DialPlan), plan
    assert plan.dial_string == dialled
    assert plan.extension == "201" and plan.channel == "PJSIP/201" and plan.context == "from-internal"
    assert plan.line is not None and plan.line.line_id == "trunk-1"
    assert plan.caller_id.endswith("<982188881000>")


@pytest.mark.parametrize("line", ["trunk-2", "line-guid-2"])
def test_a_chosen_line_adds_its_route_prefix_before_the_release_prefix(line: str) -> None:
    plan = plan_click_to_call(request("09121234567", line=line), system())
    assert isinstance(plan, DialPlan)
    assert plan.dial_string == "71" + "9" + "09121234567"
    assert plan.variables == {"COMMS_NUMBER": "+989121234567", "COMMS_LINE": "trunk-2"}
    assert plan.caller_id == "<02177770000>"  # the line's number; the extension row has no name


def test_no_release_prefix_and_no_default_line_dials_the_bare_number() -> None:
    plan = plan_click_to_call(request("09121234567"), system(release="", lines={}))
    assert isinstance(plan, DialPlan)
    assert plan.dial_string == "09121234567" and plan.line is None
    assert plan.caller_id == "<201>" and "COMMS_LINE" not in plan.variables


@pytest.mark.parametrize(
    "name, caller_id",
    [
        ("Sara Karimi", '"Sara Karimi" <982188881000>'),
        ('Sara "Sales" <Desk>', '"Sara Sales Desk" <982188881000>'),  # nothing that could end the field
        ("09121234567", "<982188881000>"),  # a number is no name
        ("  ", "<982188881000>"),
    ],
)
def test_the_caller_id_names_the_calling_extension_never_the_dialled_number(name: str, caller_id: str) -> None:
    # Asterisk hands the Originate's CallerID to the trunk leg as its connected line: the dialled number there
    # showed the customer their own number as the caller's name and came back as the call's party name.
    named = {"201": ExtensionSettings("201", user_id=SARA, name=name)}
    plan = plan_click_to_call(request("09121234567"), system(extensions=named))
    assert isinstance(plan, DialPlan)
    assert plan.caller_id == caller_id and "09121234567" not in plan.caller_id


def test_extension_device_and_technology() -> None:
    reza = plan_click_to_call(request("09121234567", user=REZA), system())
    assert isinstance(reza, DialPlan)
    assert reza.extension == "203" and reza.channel == "Local/203@from-internal"  # 202 may not originate
    sip = plan_click_to_call(request("09121234567"), system(), technology="SIP", context="ctc")
    assert isinstance(sip, DialPlan) and sip.channel == "SIP/201" and sip.technology == "SIP"
    assert sip.device == "201" and sip.context == "ctc"
    by_record = plan_click_to_call(request("09121234567", extension="ext-guid-201"), system())
    assert isinstance(by_record, DialPlan) and by_record.extension == "201"


@pytest.mark.parametrize(
    "req, code, words",
    [
        (request("09121234567", user="user-nobody"), RefusalCode.NO_EXTENSION, "no extension on Tehran HQ"),
        (request("09121234567", extension="999"), RefusalCode.UNKNOWN_EXTENSION, "'999' is not on Tehran HQ"),
        (request("09121234567", extension="202"), RefusalCode.NOT_YOUR_EXTENSION, "202 is not assigned to you"),
        (request("09121234567", user=REZA, extension="202"), RefusalCode.MAY_NOT_ORIGINATE, "202 may not"),
        (request("09121234567", line="trunk-9"), RefusalCode.UNKNOWN_LINE, "'trunk-9' is not a line"),
        (request("1234"), RefusalCode.TOO_SHORT, "at least 5 digits"),
        (request("call me maybe"), RefusalCode.INVALID_NUMBER, "'call me maybe' is not a phone number"),
        (request(""), RefusalCode.INVALID_NUMBER, "is not a phone number"),
        (request("0912\r\nAction: Hangup"), RefusalCode.INVALID_NUMBER, "is not a phone number"),
        (request("0912..1234567"), RefusalCode.INVALID_NUMBER, "is not a phone number"),
        (request("9" * 60), RefusalCode.INVALID_NUMBER, "…"),
    ],
)
def test_refusals_say_why_in_plain_words(req: ClickToCallRequest, code: RefusalCode, words: str) -> None:
    refused = plan_click_to_call(req, system())
    assert isinstance(refused, Refusal) and refused.code is code
    assert words in refused.reason and "\n" not in refused.reason


def test_only_extensions_that_may_originate_and_sane_devices_and_prefixes_pass() -> None:
    only_barred = system(extensions={"202": ExtensionSettings("202", user_id=REZA, can_originate=False)})
    assert plan_click_to_call(request("09121234567", user=REZA), only_barred).code is RefusalCode.MAY_NOT_ORIGINATE
    bad_device = system(extensions={"201": ExtensionSettings("201", user_id=SARA, channel="PJSIP/201,qB")})
    assert plan_click_to_call(request("09121234567"), bad_device).code is RefusalCode.BAD_DEVICE
    hostile_devices = ("PJSIP/201\r\nAction: Command", "PJSIP/2 01", "/201", "PJSIP/", "PJSIP/" + "1" * 100)
    for hostile in (*hostile_devices, "Local/201@from-internal;2"):  # the AMI connector refuses ";" too
        hostile_device = system(extensions={"201": ExtensionSettings("201", user_id=SARA, channel=hostile)})
        assert plan_click_to_call(request("09121234567"), hostile_device).code is RefusalCode.BAD_DEVICE
    trunk_device = system(extensions={"201": ExtensionSettings("201", user_id=SARA, channel="SIP/trunk/201")})
    assert plan_click_to_call(request("09121234567"), trunk_device).channel == "SIP/trunk/201"
    bad_prefix = system(lines={"t": LineSettings("t", dial_prefix="7;1", is_default=True)})
    assert plan_click_to_call(request("09121234567"), bad_prefix).code is RefusalCode.BAD_PREFIX


@given(st.text(max_size=60))
def test_any_text_gives_a_plan_or_a_refusal_never_an_exception(number: str) -> None:
    result = plan_click_to_call(request(number), system())
    assert isinstance(result, DialPlan | Refusal)
    if isinstance(result, DialPlan):
        assert result.dial_string.isdigit() and result.dial_string.startswith("9")


def test_spy_uses_the_supervisor_extension_and_refuses_the_rest() -> None:
    listen = plan_spy(BOSS, "201", system(), may_supervise=True)
    assert listen == SpyPlan("300", "PJSIP/300", "PJSIP/201", False)
    whisper = plan_spy(BOSS, "PJSIP/201-0000002a", system(), may_supervise=True, whisper=True)
    assert isinstance(whisper, SpyPlan) and whisper.whisper and whisper.target_channel == "PJSIP/201-0000002a"
    assert plan_spy(SARA, "300", system(), may_supervise=False).code is RefusalCode.NOT_SUPERVISOR
    assert plan_spy("user-nobody", "201", system(), may_supervise=True).code is RefusalCode.NO_EXTENSION
    assert plan_spy(BOSS, "PJSIP/20 1,qB", system(), may_supervise=True).code is RefusalCode.BAD_TARGET
    assert plan_spy(BOSS, "300", system(), may_supervise=True).code is RefusalCode.BAD_TARGET


def test_status_values_are_the_schema_choices() -> None:
    assert [s.value for s in ClickToCallStatus] == [o.value for o in CLICK_TO_CALL_STATUS.options]


@pytest.mark.parametrize(
    "outcome, reason, status, error",
    [
        (OriginateOutcome.PLACED, None, ClickToCallStatus.CONNECTED, None),
        (
            OriginateOutcome.REFUSED,
            "the extension is busy",
            ClickToCallStatus.FAILED,
            "the PBX refused the call: the extension is busy",
        ),
        (OriginateOutcome.REFUSED, None, ClickToCallStatus.FAILED, "the PBX refused the call: no reason given"),
        (OriginateOutcome.UNCONFIRMED, None, ClickToCallStatus.FAILED, UNCONFIRMED_ERROR),
        (
            OriginateOutcome.NOT_SENT,
            None,
            ClickToCallStatus.FAILED,
            "the PBX could not be reached, so nothing was dialled; try again shortly",
        ),
        (
            OriginateOutcome.NOT_PERMITTED,
            None,
            ClickToCallStatus.FAILED,
            "the bridge is not allowed to place calls on this PBX; ask an administrator",
        ),
    ],
)
def test_outcomes_map_to_final_statuses(outcome, reason, status, error) -> None:
    update = outcome_update(outcome, reason)
    assert (update.status, update.error, update.is_final) == (status, error, True)


def test_a_refusal_fails_the_request_with_its_reason() -> None:
    update = refusal_update(Refusal(RefusalCode.TOO_SHORT, "too short"))
    assert update.status is ClickToCallStatus.FAILED and update.error == "too short"
    assert UNCONFIRMED_ERROR == "the PBX did not confirm; check before calling again"


@pytest.mark.parametrize("extension, line", [("۲۰۱", "trunk-۲"), ("٢٠١", "\u200etrunk-٢")])
def test_an_extension_and_line_asked_for_in_persian_or_arabic_digits_are_the_same_rows(extension, line) -> None:
    plan = plan_click_to_call(request("۰۹۱۲۱۲۳۴۵۶۷", extension=extension, line=line), system())
    assert isinstance(plan, DialPlan), plan
    assert plan.extension == "201" and plan.line is not None and plan.line.line_id == "trunk-2"
    assert plan.dial_string == "71" + "9" + "09121234567"


def test_a_plan_typed_in_persian_digits_dials_like_its_ascii_twin() -> None:
    persian = TelephonySystemSettings(key="k", plan=NumberPlan(98, "۲۱", "۹"), extensions=system().extensions)
    plan = plan_click_to_call(request("021 8888 1234"), persian)
    assert isinstance(plan, DialPlan)
    assert plan.dial_string == "988881234"  # own city: no city code, as with city code "21"
