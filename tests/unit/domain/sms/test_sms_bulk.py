"""Bulk planning: ids, order, cursor, skips, hostile texts, quiet-hour edges (SMS-08, -09, -10)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from domain.numbers import NumberPlan
from domain.sms.bulk import (
    Audience,
    BulkContent,
    Filled,
    Member,
    SkipReason,
    batches,
    cursor_of,
    member_order,
    members_after,
    message_id,
    plan_step,
    sending_starts_at,
)
from domain.sms.bulk_related import fill_step
from domain.sms.policy import MessageKind, SendingWindow
from domain.sms.related import Known, TableShape
from domain.sms.template_parser import parse_template

PLAN = NumberPlan()
BULK = "6f1c7a52-8a1e-4c55-9a8e-1a2b3c4d5e6f"
CONTACT = TableShape("contact", frozenset({"contactid", "mobilephone", "firstname", "lastname"}))


def filled(content: BulkContent, members: list[Member]) -> dict[tuple[str, str], Filled]:
    """Each member's placeholder values, planned as the runner plans them (the members' own columns here)."""
    return dict(fill_step(content.template, members, Known(shapes={"contact": CONTACT})).filled)


def member(n: int, mobile: str | None = "0912{:07d}", **fields) -> Member:
    return Member(
        "contact",
        f"00000000-0000-0000-0000-{n:012d}",
        {"mobilephone": mobile.format(n) if mobile else None, "firstname": f"Ali{n}", **fields},
    )


def test_message_ids_are_deterministic_and_case_blind() -> None:
    first = message_id(BULK, "contact", "ABCDEF00-0000-0000-0000-000000000001")
    assert first == message_id(BULK.upper(), "contact", "abcdef00-0000-0000-0000-000000000001")
    assert first != message_id(BULK, "lead", "abcdef00-0000-0000-0000-000000000001")
    with pytest.raises(ValueError):
        message_id("", "contact", "x")


def test_order_dedupes_records_and_cursor_resumes_after_the_last_handled() -> None:
    members = [member(3), member(1), member(2), member(1)]
    ordered = member_order(members)
    assert [m.record_id[-1] for m in ordered] == ["1", "2", "3"]
    assert members_after(ordered, cursor_of(ordered[0])) == ordered[1:]
    assert members_after(ordered, None) == ordered
    with pytest.raises(ValueError):
        members_after(ordered, "no-separator")


def test_plan_skips_no_mobile_opted_out_shared_number_and_handled() -> None:
    members = [member(1), member(2, None), member(3, "09120000001"), member(4), member(5)]
    handled = {message_id(BULK, "contact", members[4].record_id)}
    audience = Audience(PLAN, opted_out={"+989120000004"})
    plan = plan_step(members, BULK, BulkContent(None, "Sale"), audience, handled_ids=handled)
    assert [m.to for m in plan.messages] == ["+989120000001"]
    reasons = [s.reason for s in plan.skipped]
    assert reasons == [
        SkipReason.NO_MOBILE,
        SkipReason.DUPLICATE_NUMBER,
        SkipReason.OPTED_OUT,
        SkipReason.ALREADY_HANDLED,
    ]
    assert plan.cursor == cursor_of(members[-1])


@pytest.mark.parametrize("name", ["{contact.x}", "%Y %d", "<script>", "ي\u200cك", "\u202eevil", "x" * 500])
def test_hostile_field_values_are_sent_as_typed(name: str) -> None:
    content = BulkContent(parse_template("سلام {firstname}"), kind=MessageKind.TRANSACTIONAL)
    members = [member(1, firstname=name)]
    plan = plan_step(members, BULK, content, Audience(PLAN), filled=filled(content, members))
    assert plan.messages[0].text == f"سلام {name}"


def test_marketing_text_gets_the_notice_once_and_missing_fields_fail_alone() -> None:
    content = BulkContent(parse_template("{contact.firstname} {lastname}"))
    members = [member(1, lastname="K"), member(2)]
    plan = plan_step(members, BULK, content, Audience(PLAN), filled=filled(content, members))
    assert plan.messages[0].text == "Ali1 K\nلغو11"
    assert len(plan.failed) == 1 and "lastname" in plan.failed[0].error
    fixed = BulkContent(None, "Sale\nلغو ۱۱")
    assert plan_step([member(1)], BULK, fixed, Audience(PLAN)).messages[0].text == "Sale\nلغو ۱۱"
    with pytest.raises(ValueError):
        BulkContent(None, "  ")


def test_a_member_whose_values_cannot_be_had_fails_alone_after_the_skips() -> None:
    content = BulkContent(parse_template("{firstname}"))
    members = [member(1), member(2), member(3, None)]
    fills = {
        members[0].key: Filled({"firstname": "Ali1"}),
        members[1].key: Filled(error="a related account record (a2) no longer exists"),
        members[2].key: Filled(error="never reached: no mobile"),
    }

    plan = plan_step(members, BULK, content, Audience(PLAN), filled=fills)

    assert [m.text for m in plan.messages] == ["Ali1\nلغو11"]
    assert [(f.member, f.error) for f in plan.failed] == [(members[1], fills[members[1].key].error)]
    assert [s.reason for s in plan.skipped] == [SkipReason.NO_MOBILE]
    with pytest.raises(ValueError, match="no placeholder values"):
        plan_step(members[:1], BULK, content, Audience(PLAN))


def test_batches_respect_the_provider_limit() -> None:
    plan = plan_step([member(n) for n in range(1, 451)], BULK, BulkContent(None, "x"), Audience(PLAN))
    assert [len(b) for b in batches(plan.messages, 200)] == [200, 200, 50]
    assert [len(b) for b in batches(plan.messages[:5], 1)] == [1] * 5
    with pytest.raises(ValueError):
        batches(plan.messages, 0)


@pytest.mark.parametrize(
    "utc, expected",
    [
        (datetime(2026, 5, 1, 3, 29, tzinfo=UTC), datetime(2026, 5, 1, 3, 30, tzinfo=UTC)),  # 06:59 Tehran
        (datetime(2026, 5, 1, 3, 30, tzinfo=UTC), datetime(2026, 5, 1, 3, 30, tzinfo=UTC)),  # 07:00 opens
        (datetime(2026, 5, 1, 18, 29, tzinfo=UTC), datetime(2026, 5, 1, 18, 29, tzinfo=UTC)),  # 21:59 still open
        (datetime(2026, 5, 1, 18, 30, tzinfo=UTC), datetime(2026, 5, 2, 3, 30, tzinfo=UTC)),  # 22:00 closed
    ],
)
def test_quiet_hour_edges_defer_marketing(utc: datetime, expected: datetime) -> None:
    assert sending_starts_at(utc, MessageKind.MARKETING) == expected
    assert sending_starts_at(utc, MessageKind.TRANSACTIONAL) == utc


def test_send_after_and_a_custom_window() -> None:
    now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    later = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert sending_starts_at(now, MessageKind.MARKETING, send_after=later) == later
    night = SendingWindow(start=time(22, 0), end=time(2, 0), tz_name="UTC")
    assert sending_starts_at(now, MessageKind.MARKETING, night) == datetime(2026, 5, 1, 22, 0, tzinfo=UTC)
