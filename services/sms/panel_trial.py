"""The "test send" of a provider account: one message to one number, and the raw outcome in plain words (SMS-13).

An administrator who has written a panel description (kind ``configurable``,
docs/sms-providers.md) runs ``commsuite sms test-send`` before saving the
provider row: the description is checked as the row would be, one message is
sent through it, and what happened comes back as a :class:`TrialOutcome`:
accepted with the panel's message id, or the error the suite would record, the
HTTP status and the panel's reply (truncated, with the password masked).

The "Test send" button on the provider form calls :func:`trial_send_account`
through the Functions route ``POST sms/providers/{account_key}/test-send``
(``functions/sms_provider_test.py``) or the daemon's same route: the saved row
of any kind is built as the registry builds it, with the secret its Credential
Reference names (never sent by the browser). No CRM row is written.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.errors import ConnectorError, RejectedError
from connectors.settings import Secret
from connectors.sms import PROVIDERS, SmsProvider, build_provider
from connectors.sms.configurable import ConfigurableProvider, ConfigurableSettings
from connectors.sms.panel_validation import DescriptionError, validate_description
from domain.numbers import e164_from_iran_panel
from domain.sms import OutgoingSms
from services.sms.accounts import ProviderRegistry

RAW_LIMIT = 2000
DEFAULT_TEXT = "CommSuite test"
#: A test send request is two short fields; anything bigger is not one.
MAX_REQUEST_BYTES = 4096
_NUMBER = re.compile(r"\+?[0-9]{7,16}")


class TrialRequestError(ValueError):
    """A test send request that cannot be read (answer 400 with the message)."""


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
        return {
            "ok": self.ok,
            "outcome": self.outcome,
            "detail": self.detail,
            "message_id": self.message_id,
            "http_status": self.http_status,
            "raw_reply": self.raw_reply,
        }


def trial_send(
    description: str | Mapping[str, Any],
    *,
    to: str,
    text: str,
    password: str,
    username: str | None = None,
    sender: str | None = None,
    base_url: str | None = None,
    session: requests.Session | None = None,
) -> TrialOutcome:
    """Send ``text`` to ``to`` through the described panel once and report what happened; never raises for
    a panel's answer, a transport fault or a bad description."""
    try:
        panel = validate_description(description)
        settings = ConfigurableSettings(
            description=panel,
            password=password,
            username=username or None,
            default_sender=sender or None,
            base_url=base_url or "",
        )
    except DescriptionError as exc:
        return TrialOutcome(False, "invalid description", "; ".join(exc.errors))
    except ValueError as exc:
        return TrialOutcome(False, "invalid settings", str(exc).replace(password, "***") if password else str(exc))
    session, seen = _recording(session or requests.Session())
    return _send_once(
        ConfigurableProvider(settings, session=session), panel.name, to=to, text=text, seen=seen, secrets=(password,)
    )


def parse_trial_request(body: bytes) -> tuple[str, str]:
    """``(to, text)`` from a test send request's JSON body ``{"to": "0912...", "text": "..."}`` (text optional)."""
    if len(body) > MAX_REQUEST_BYTES:
        raise TrialRequestError(f"the body is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise TrialRequestError('the body must be JSON such as {"to": "09121234567", "text": "test"}') from exc
    if not isinstance(document, Mapping):
        raise TrialRequestError('the body must be a JSON object such as {"to": "09121234567"}')
    to, text = document.get("to"), document.get("text", DEFAULT_TEXT)
    if not isinstance(to, str) or not _NUMBER.fullmatch(to.strip()):
        raise TrialRequestError("'to' must be a phone number such as 09121234567 or +989121234567")
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        raise TrialRequestError("'text' must be a non-empty text of at most 1000 characters")
    return to.strip(), text


def trial_send_account(registry: ProviderRegistry, account_key: str, *, to: str, text: str) -> TrialOutcome | None:
    """Send ``text`` to ``to`` once through the saved provider row ``account_key``, read again now.

    ``None`` when no active row has that key. Never raises for a bad row, a
    panel's answer or a transport fault: those come back as the outcome.
    """
    registry.refresh()  # the row the admin just saved, not the one cached minutes ago
    account = registry.by_key(account_key)
    if account is None:
        return None
    row = account.row
    try:
        settings = registry.settings_of(row)
    except (KeyError, ValueError) as exc:
        return TrialOutcome(False, "invalid settings", _problem(row.kind, exc))
    secrets = tuple(str(value) for name, value in settings.items() if _is_secret(row.kind, name) and value)
    session, seen = _recording(registry.session)
    try:
        provider = build_provider(row.kind, settings, session=session)
    except (KeyError, ValueError) as exc:
        return TrialOutcome(False, "invalid settings", _masked(_problem(row.kind, exc), secrets))
    return _send_once(provider, row.name or row.account_key, to=to, text=text, seen=seen, secrets=secrets)


def _send_once(
    provider: SmsProvider, name: str, *, to: str, text: str, seen: list[requests.Response], secrets: tuple[str, ...]
) -> TrialOutcome:
    sms = OutgoingSms(f"trial-{uuid.uuid4().hex[:12]}", e164_from_iran_panel(to), text)
    try:
        receipt = provider.send(sms)
    except ConnectorError as exc:
        detail = _masked(f"{type(exc).__name__}: {exc}", secrets)
        if isinstance(exc, RejectedError) and exc.code:
            detail += f" (code {exc.code})"
        return _with_reply(TrialOutcome(False, type(exc).__name__, detail), seen, secrets)
    return _with_reply(TrialOutcome(True, "accepted", f"{name} took the message", receipt.provider_id), seen, secrets)


def _recording(session: requests.Session) -> tuple[requests.Session, list[requests.Response]]:
    """A session over ``session``'s connection pools that remembers its responses; ``session`` is not changed."""
    seen: list[requests.Response] = []
    recording = requests.Session()
    for prefix, adapter in session.adapters.items():
        recording.mount(prefix, adapter)
    recording.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response))
    return recording, seen


def _is_secret(kind: str, field: str) -> bool:
    info = PROVIDERS[kind].settings_model.model_fields.get(field) if kind in PROVIDERS else None
    return info is not None and info.annotation is Secret


def _problem(kind: str, exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"unknown provider kind {kind!r}"
    return str(exc)


def _masked(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _with_reply(outcome: TrialOutcome, seen: list[requests.Response], secrets: tuple[str, ...]) -> TrialOutcome:
    if not seen:
        return outcome
    last = seen[-1]
    raw = _masked(last.content[:RAW_LIMIT].decode("utf-8", errors="replace"), secrets)
    return TrialOutcome(outcome.ok, outcome.outcome, outcome.detail, outcome.message_id, last.status_code, raw)
