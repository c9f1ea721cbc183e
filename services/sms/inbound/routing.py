"""Inbound SMS to the right desk: the matched record's owner, a related person or a queue (SMS-24).

Each SMS Number (line) says where its inbound texts go (*Inbound Goes To*): the
owner of the record the sender was matched to, the user or team a lookup of
that record names (*Related Person Column*), or the line's *Inbound Queue*;
and how soon (*Route Within*, minutes). When a text is stored its *Route Due
On* is set; a timer (every minute) puts every stored, unrouted text into the
person's own work queue (their default queue, with them as the worker) or the
line's queue, as a ``queueitem`` with a deterministic id, then sets *Queued
On*. A replay or a crash between the two writes routes nothing twice. When no
person can be found (no match, an empty lookup, no default queue) the line's
queue takes the text; with none, the reason is written on the SMS.

A keyword rule may route the texts it matches itself (its own *Inbound Goes
To*, *Related Person Column*, *Target Queue* and *Route Within*; *As the line
says* keeps the line's). The matched rule is stored on the text (*Matched
Rule*) in the same change set as the text and its *Route Due On*, so the
timer routes from the stored text alone, and a re-run after a crash puts it
in the same queue once.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.dataverse import DataverseClient, RecordId, bind, deterministic_id, odata
from connectors.dataverse.replies import json_object
from dataverse_schema import navigation
from dataverse_schema import sms as sms_schema
from dataverse_schema.names import KeywordRule, Queue, QueueItem, Sms, SmsNumber, SystemUser, Team
from services.sms import tables
from services.sms.row_mapping import LOOKUP_TABLES, TABLE_ANNOTATION

log = logging.getLogger(__name__)

DEFAULT_WITHIN = timedelta(minutes=5)
LINES_TTL_S = 300.0
BATCH = 100
_PERSONS = {SystemUser.TABLE: SystemUser.SET, Team.TABLE: Team.SET}


class RouteTo(enum.Enum):
    """The line's *Inbound Goes To* choice."""

    NOBODY = "Nobody"
    OWNER = "Owner of matched record"
    RELATED = "Related person"
    QUEUE = "Queue"

    @classmethod
    def from_code(cls, code: object) -> RouteTo:
        for member in cls:
            if sms_schema.INBOUND_ROUTES.value_of(member.value) == code:
                return member
        return cls.NOBODY

    @classmethod
    def from_rule_code(cls, code: object) -> RouteTo | None:
        """A rule's choice; ``None`` for *As the line says* (or empty)."""
        for member in cls:
            if sms_schema.RULE_ROUTES.value_of(member.value) == code:
                return member
        return None


@dataclass(frozen=True)
class LineRoute:
    """Where one line's inbound texts go, and how soon."""

    to: RouteTo
    related_column: str | None = None
    queue_id: str | None = None
    within: timedelta = DEFAULT_WITHIN


@dataclass(frozen=True)
class Desk:
    """A work queue and, for a person's own queue, the person working the item."""

    queue_id: str
    worker: tuple[str, str] | None = None  # (systemuser | team, id)


@dataclass
class RouteReport:
    """What one routing sweep did: texts queued, texts left unrouted (with why), routed late."""

    queued: list[str] = field(default_factory=list)
    unrouted: list[tuple[str, str]] = field(default_factory=list)
    late: list[str] = field(default_factory=list)


class InboundRouter:
    """Puts stored inbound texts into work queues; built once per worker."""

    def __init__(self, client: DataverseClient, *, clock: Callable[[], datetime]):
        self._client, self._clock = client, clock
        self._routes: dict[str, LineRoute] = {}
        self._rule_routes: dict[str, _RuleRoute] = {}
        self._read_at: datetime | None = None

    def due_on(self, line_record_id: str | None, received_at: datetime, rule_id: str | None = None) -> datetime | None:
        """When a text received on the line (matched by the rule) must be in a work queue; ``None``: nowhere."""
        route = self.route_of(line_record_id, rule_id)
        return received_at + route.within if route.to is not RouteTo.NOBODY else None

    def route_of(self, line_record_id: str | None, rule_id: str | None = None) -> LineRoute:
        """Where a text on the line goes: the matched rule's route when it has one, else the line's."""
        self._refresh()
        line = self._routes.get((line_record_id or "").lower(), LineRoute(RouteTo.NOBODY))
        rule = self._rule_routes.get((rule_id or "").lower())
        if rule is None or rule.to is None:
            return line
        return LineRoute(
            rule.to,
            related_column=rule.related_column or line.related_column,
            queue_id=rule.queue_id or line.queue_id,
            within=rule.within or line.within,
        )

    def _refresh(self) -> None:
        now = self._clock()
        if self._read_at is None or (now - self._read_at).total_seconds() >= LINES_TTL_S:
            self._routes = {
                str(row[SmsNumber.ID]).lower(): _line_route(row)
                for row in self._client.query(
                    SmsNumber.SET,
                    select=[
                        SmsNumber.ID,
                        SmsNumber.INBOUNDROUTE,
                        SmsNumber.RELATEDPERSONCOLUMN,
                        SmsNumber.INBOUNDQUEUEID_VALUE,
                        SmsNumber.ROUTEWITHINMINUTES,
                    ],
                )
            }
            self._rule_routes = {
                str(row[KeywordRule.ID]).lower(): _rule_route(row)
                for row in self._client.query(
                    KeywordRule.SET,
                    select=[
                        KeywordRule.ID,
                        KeywordRule.INBOUNDROUTE,
                        KeywordRule.RELATEDPERSONCOLUMN,
                        KeywordRule.QUEUEID_VALUE,
                        KeywordRule.ROUTEWITHINMINUTES,
                    ],
                    filter=odata.ne(KeywordRule.INBOUNDROUTE, None),
                )
            }
            self._read_at = now

    def route_pending(self) -> RouteReport:
        """Queue every stored inbound text not yet queued (the routing timer), oldest due first."""
        report = RouteReport()
        pending = self._client.query(
            Sms.SET,
            top=BATCH,
            orderby=[f"{Sms.ROUTEDUEON} asc"],
            select=[Sms.ID],
            filter=odata.and_(
                odata.ne(Sms.ROUTEDUEON, None), odata.eq(Sms.QUEUEDON, None), odata.eq(Sms.DIRECTION, tables.INCOMING)
            ),
        )
        for sms_id in [str(row[Sms.ID]) for row in pending]:
            row = self._read(
                Sms.SET,
                sms_id,
                [
                    Sms.SUBJECT,
                    Sms.ROUTEDUEON,
                    Sms.REGARDINGOBJECTID_VALUE,
                    Sms.SMSNUMBERID_VALUE,
                    Sms.KEYWORDRULEID_VALUE,
                ],
            )
            desk, reason = self._desk(row)
            if desk is None:
                self._client.update(
                    Sms.SET,
                    RecordId(sms_id),
                    {Sms.ROUTEDUEON: None, Sms.ERROR: tables.clip(f"not put in a work queue: {reason}")},
                )
                report.unrouted.append((sms_id, reason))
                continue
            self._queue(sms_id, str(row.get(Sms.SUBJECT) or ""), desk)
            report.queued.append(sms_id)
            due = row.get(Sms.ROUTEDUEON)
            if due and datetime.fromisoformat(str(due).replace("Z", "+00:00")) < self._clock():
                report.late.append(sms_id)
                log.warning(
                    "inbound SMS queued after its Route Due On", extra={"operation": "inbound_route", "key": sms_id}
                )
        return report

    def _desk(self, row: Mapping[str, Any]) -> tuple[Desk | None, str]:
        route = self.route_of(row.get(Sms.SMSNUMBERID_VALUE), row.get(Sms.KEYWORDRULEID_VALUE))
        person, reason = None, "the line routes to its queue"
        if route.to in (RouteTo.OWNER, RouteTo.RELATED):
            person, reason = self._person(row, route)
        if person is not None:
            queue = self._client.retrieve(
                _PERSONS[person[0]], RecordId(person[1]), select=[SystemUser.QUEUEID_VALUE]
            ).get(SystemUser.QUEUEID_VALUE)
            if queue:
                return Desk(str(queue), person), ""
            reason = f"the {person[0]} to route to has no default queue"
        if route.queue_id:
            return Desk(route.queue_id), ""
        return None, f"{reason}, and the line has no Inbound Queue"

    def _person(self, row: Mapping[str, Any], route: LineRoute) -> tuple[tuple[str, str] | None, str]:
        record_id = row.get(Sms.REGARDINGOBJECTID_VALUE)
        table = row.get(Sms.REGARDINGOBJECTID_VALUE + TABLE_ANNOTATION)
        if not record_id or not table:
            return None, "the sender matched no record"
        column = route.related_column if route.to is RouteTo.RELATED else navigation.OWNER
        if not column:
            return None, "the line names no Related Person Column"
        value = f"_{column}_value"
        record = self._read(tables.entity_set(str(table)), str(record_id), [value])
        person, kind = record.get(value), record.get(value + TABLE_ANNOTATION)
        if not person or kind not in _PERSONS:
            return None, f"{column} of the matched {table} names no user or team"
        return (str(kind), str(person)), ""

    def _read(self, entity_set: str, record_id: str, columns: list[str]) -> dict[str, Any]:
        """One record with its lookups' table names (``...@Microsoft.Dynamics.CRM.lookuplogicalname``)."""
        path = f"{entity_set}{RecordId(record_id).segment()}"
        return json_object(
            self._client.request(
                "GET", path, params={"$select": odata.select_list(columns)}, headers=LOOKUP_TABLES, operation="retrieve"
            ),
            "retrieve",
        )

    def _queue(self, sms_id: str, subject: str, desk: Desk) -> None:
        body: dict[str, Any] = {
            QueueItem.TITLE: subject[:300],
            **bind(QueueItem.QUEUEID_NAV, Queue.SET, desk.queue_id),
            **bind(navigation.objectid(Sms.TABLE), Sms.SET, sms_id),
        }
        if desk.worker is not None:
            # ``workerid`` names one navigation property per target, like a customer lookup
            body.update(
                bind(navigation.customer(QueueItem.WORKERID, desk.worker[0]), _PERSONS[desk.worker[0]], desk.worker[1])
            )
        self._client.upsert(QueueItem.SET, RecordId(deterministic_id("sms-queueitem", sms_id)), body)
        self._client.update(Sms.SET, RecordId(sms_id), {Sms.QUEUEDON: self._clock()})


def _line_route(row: Mapping[str, Any]) -> LineRoute:
    minutes = row.get(SmsNumber.ROUTEWITHINMINUTES)
    return LineRoute(
        RouteTo.from_code(row.get(SmsNumber.INBOUNDROUTE)),
        related_column=row.get(SmsNumber.RELATEDPERSONCOLUMN) or None,
        queue_id=row.get(SmsNumber.INBOUNDQUEUEID_VALUE) or None,
        within=timedelta(minutes=int(minutes)) if minutes else DEFAULT_WITHIN,
    )


@dataclass(frozen=True)
class _RuleRoute:
    """A keyword rule's own routing; ``to`` ``None`` keeps the line's."""

    to: RouteTo | None
    related_column: str | None
    queue_id: str | None
    within: timedelta | None


def _rule_route(row: Mapping[str, Any]) -> _RuleRoute:
    minutes = row.get(KeywordRule.ROUTEWITHINMINUTES)
    return _RuleRoute(
        RouteTo.from_rule_code(row.get(KeywordRule.INBOUNDROUTE)),
        related_column=row.get(KeywordRule.RELATEDPERSONCOLUMN) or None,
        queue_id=row.get(KeywordRule.QUEUEID_VALUE) or None,
        within=timedelta(minutes=int(minutes)) if minutes else None,
    )
