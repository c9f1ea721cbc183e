"""A keyword rule's "Start flow": the stored text's details posted to the rule's *Flow Address* (SMS-16).

The text is stored with *Flow Due On* in the same change set as the rest of
its rule's writes (:mod:`services.sms.inbound.actions`), so a text owes its
flow exactly when it was stored. :meth:`FlowStarter.start` runs right after
the store; :meth:`FlowStarter.start_due` (the routing timer, in Functions and
in the bridge) retries what is still owed. A flow that accepted the text gets
*Flow Started On* (and *Flow Due On* cleared) on the text, so neither a
redelivered inbound message (stored once) nor a later sweep starts it again.
The one window left is a crash between the flow's answer and that write: the
next sweep posts again, with the same ``smsId``, which a flow that must never
run twice checks (docs/sms-rules.md).

A refusal (4xx, a signature that no longer matches, an address that is not
https) clears *Flow Due On* and writes why on the text's *Error*; throttling,
5xx and transport faults are tried ``attempts`` times now and again at each
sweep, until ``give_up_after`` has passed since the text was stored. The
flow's address is never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.dataverse import DataverseClient, RecordId, odata
from connectors.errors import AuthError, ConnectorError, InvalidRequestError, RejectedError
from connectors.sms.flow_trigger import FlowTrigger
from dataverse_schema.names import KeywordRule, Sms
from services.sms import tables

log = logging.getLogger(__name__)

BATCH = 50
ATTEMPTS = 3
GIVE_UP_AFTER = timedelta(hours=24)
_COLUMNS = [
    Sms.ID,
    Sms.PHONENUMBER,
    Sms.SENDERNUMBER,
    Sms.MESSAGE,
    Sms.RECEIVEDON,
    Sms.PROVIDERACCOUNTKEY,
    Sms.PROVIDERMESSAGEID,
    Sms.REGARDINGOBJECTID_VALUE,
    Sms.KEYWORDRULEID_VALUE,
    Sms.FLOWDUEON,
    Sms.FLOWSTARTEDON,
    Sms.ERROR,
]


@dataclass
class FlowReport:
    """What one pass did: flows started, texts the flow refused (with why), texts left for the next pass."""

    started: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


class FlowStarter:
    """Starts the flows stored texts owe; built once per worker."""

    def __init__(
        self,
        client: DataverseClient,
        trigger: FlowTrigger,
        *,
        clock: Callable[[], datetime],
        pause: Callable[[float], None],
        attempts: int = ATTEMPTS,
        give_up_after: timedelta = GIVE_UP_AFTER,
    ):
        self._client, self._trigger, self._clock, self._pause = client, trigger, clock, pause
        self._attempts, self._give_up_after = attempts, give_up_after

    def start_due(self) -> FlowReport:
        """Start every owed flow, oldest first (the routing timer)."""
        report = FlowReport()
        owed = self._client.query(
            Sms.SET,
            top=BATCH,
            orderby=[f"{Sms.FLOWDUEON} asc"],
            select=[Sms.ID],
            filter=odata.and_(odata.ne(Sms.FLOWDUEON, None), odata.eq(Sms.FLOWSTARTEDON, None)),
        )
        for sms_id in [str(row[Sms.ID]) for row in owed]:
            self.start(sms_id, report)
        return report

    def start(self, sms_id: str, report: FlowReport | None = None) -> FlowReport:
        """Start the flow the stored text ``sms_id`` owes, if it still owes one."""
        report = report if report is not None else FlowReport()
        row = self._client.retrieve(Sms.SET, sms_id, select=_COLUMNS)
        if not row.get(Sms.FLOWDUEON) or row.get(Sms.FLOWSTARTEDON):
            return report
        rule_id = tables.lookup_id(row, Sms.KEYWORDRULEID_VALUE)
        rule = (
            self._client.retrieve(KeywordRule.SET, rule_id, select=[KeywordRule.NAME, KeywordRule.FLOWURL])
            if rule_id
            else {}
        )
        url = str(rule.get(KeywordRule.FLOWURL) or "").strip()
        if not url:
            self._refused(row, "its keyword rule has no Flow Address", report)
            return report
        try:
            self._post(url, _payload(row, rule), sms_id)
        except (RejectedError, AuthError, InvalidRequestError) as exc:
            self._refused(row, str(exc), report)
        except ConnectorError as exc:
            self._wait(row, type(exc).__name__, report)
        else:
            self._client.update(Sms.SET, RecordId(sms_id), {Sms.FLOWSTARTEDON: self._clock(), Sms.FLOWDUEON: None})
            report.started.append(sms_id)
        return report

    def _post(self, url: str, payload: Mapping[str, Any], sms_id: str) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                self._trigger.start(url, payload, key=sms_id)
                return
            except (RejectedError, AuthError, InvalidRequestError):
                raise
            except ConnectorError as exc:
                if attempt == self._attempts:
                    raise
                wait = getattr(exc, "retry_after_s", None)
                self._pause(min(float(wait), 30.0) if wait is not None else 2.0**attempt)

    def _refused(self, row: Mapping[str, Any], reason: str, report: FlowReport) -> None:
        sms_id = str(row[Sms.ID])
        error = "; ".join(filter(None, [row.get(Sms.ERROR), f"flow not started: {reason}"]))
        self._client.update(Sms.SET, RecordId(sms_id), {Sms.FLOWDUEON: None, Sms.ERROR: tables.clip(error)})
        report.refused.append((sms_id, reason))
        log.warning("flow not started: refused", extra={"operation": "start_flow", "key": sms_id})

    def _wait(self, row: Mapping[str, Any], failure: str, report: FlowReport) -> None:
        sms_id, due = str(row[Sms.ID]), _instant(row.get(Sms.FLOWDUEON))
        if due is not None and self._clock() - due >= self._give_up_after:
            hours = int(self._give_up_after.total_seconds() // 3600)
            self._refused(row, f"the flow did not take the text for {hours} hours (last: {failure})", report)
            return
        report.waiting.append(sms_id)
        log.warning(
            "flow not started yet (%s); tried again later", failure, extra={"operation": "start_flow", "key": sms_id}
        )


def _payload(row: Mapping[str, Any], rule: Mapping[str, Any]) -> dict[str, Any]:
    """What the flow receives: the text, who sent it to which line, the rule and the record it regards."""
    return {
        "smsId": str(row[Sms.ID]),
        "from": row.get(Sms.PHONENUMBER),
        "to": row.get(Sms.SENDERNUMBER),
        "text": row.get(Sms.MESSAGE),
        "receivedOn": row.get(Sms.RECEIVEDON),
        "rule": rule.get(KeywordRule.NAME),
        "ruleId": tables.lookup_id(row, Sms.KEYWORDRULEID_VALUE),
        "regardingId": tables.lookup_id(row, Sms.REGARDINGOBJECTID_VALUE),
        "providerAccount": row.get(Sms.PROVIDERACCOUNTKEY),
        "providerMessageId": row.get(Sms.PROVIDERMESSAGEID),
    }


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


__all__ = ["FlowReport", "FlowStarter"]
