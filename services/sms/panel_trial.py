"""The "test send" of a described panel: one message to one number, and the raw outcome in plain words (SMS-13).

An administrator who has written a panel description (kind ``configurable``,
docs/sms-providers.md) runs ``commsuite sms test-send`` before saving the
provider row: the description is checked as the row would be, one message is
sent through it, and what happened comes back as a :class:`TrialOutcome`:
accepted with the panel's message id, or the error the suite would record, the
HTTP status and the panel's reply (truncated, with the password masked). No
CRM row is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.errors import ConnectorError, RejectedError
from connectors.sms.configurable import ConfigurableProvider, ConfigurableSettings
from connectors.sms.panel_description import DescriptionError, validate_description
from domain.numbers import e164_from_iran_panel
from domain.sms import OutgoingSms

RAW_LIMIT = 2000


@dataclass(frozen=True)
class TrialOutcome:
    """What one test send did; ``raw_reply`` is the panel's last reply with the password masked."""

    ok: bool
    outcome: str
    detail: str
    message_id: str | None = None
    http_status: int | None = None
    raw_reply: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "outcome": self.outcome, "detail": self.detail, "message_id": self.message_id,
                "http_status": self.http_status, "raw_reply": self.raw_reply}


def trial_send(description: str | Mapping[str, Any], *, to: str, text: str, password: str,
               username: str | None = None, sender: str | None = None, base_url: str | None = None,
               session: requests.Session | None = None) -> TrialOutcome:
    """Send ``text`` to ``to`` through the described panel once and report what happened; never raises for
    a panel's answer, a transport fault or a bad description."""
    try:
        panel = validate_description(description)
        settings = ConfigurableSettings(description=panel, password=password, username=username or None,
                                        default_sender=sender or None, base_url=base_url or "")
    except DescriptionError as exc:
        return TrialOutcome(False, "invalid description", "; ".join(exc.errors))
    except ValueError as exc:
        return TrialOutcome(False, "invalid settings", str(exc).replace(password, "***") if password else str(exc))
    seen: list[requests.Response] = []
    session = session or requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response))
    provider = ConfigurableProvider(settings, session=session)
    sms = OutgoingSms(f"trial-{uuid.uuid4().hex[:12]}", e164_from_iran_panel(to), text)
    try:
        receipt = provider.send(sms)
    except ConnectorError as exc:
        detail = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, RejectedError) and exc.code:
            detail += f" (code {exc.code})"
        return _with_reply(TrialOutcome(False, type(exc).__name__, detail), seen, password)
    return _with_reply(TrialOutcome(True, "accepted", f"{panel.name} took the message", receipt.provider_id),
                       seen, password)


def _with_reply(outcome: TrialOutcome, seen: list[requests.Response], password: str) -> TrialOutcome:
    if not seen:
        return outcome
    last = seen[-1]
    raw = last.content[:RAW_LIMIT].decode("utf-8", errors="replace")
    if password:
        raw = raw.replace(password, "***")
    return TrialOutcome(outcome.ok, outcome.outcome, outcome.detail, outcome.message_id, last.status_code, raw)
