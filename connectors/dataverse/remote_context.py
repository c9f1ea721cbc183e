"""Parse what Dataverse pushes when a record (an SMS, a fax) is created or changed: the RemoteExecutionContext JSON.

The same body reaches us through a Service Bus queue (service endpoint,
message format *JSON*) or a webhook step
(MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/use-webhooks.md).
Only three fields matter: ``PrimaryEntityName``, ``PrimaryEntityId`` and
``MessageName``; the rest (images, input parameters) is ignored, so a body
trimmed for size (``x-ms-dynamics-msg-size-exceeded``) still works. Anything
else raises :class:`PushError` with a short reason.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

MAX_PUSH_BYTES = 512 * 1024  # Dataverse trims bodies over 256 KB; twice that is certainly not Dataverse
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


class PushError(ValueError):
    """The body is not a RemoteExecutionContext we can act on; ``str()`` is a short reason."""


@dataclass(frozen=True)
class PushedRecord:
    """Which record the event is about, and which message (Create, Update, SetState...) raised it."""

    entity: str
    record_id: str
    message: str


def parse_remote_context(body: bytes | str) -> PushedRecord:
    """The entity, id and message of a pushed RemoteExecutionContext; raises :class:`PushError`."""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if not raw:
        raise PushError("empty body")
    if len(raw) > MAX_PUSH_BYTES:
        raise PushError(f"body larger than {MAX_PUSH_BYTES} bytes")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PushError("body is not UTF-8 (choose the JSON message format on the service endpoint)") from None
    except (ValueError, RecursionError):  # RecursionError: nested too deep for the decoder
        raise PushError("body is not JSON (choose the JSON message format on the service endpoint)") from None
    if not isinstance(document, dict):
        raise PushError("body is not a JSON object")
    entity = _name(document, "PrimaryEntityName")
    message = _name(document, "MessageName")
    record_id = document.get("PrimaryEntityId")
    try:
        canonical = str(uuid.UUID(record_id)) if isinstance(record_id, str) and len(record_id) <= 40 else None
    except ValueError:
        canonical = None
    if canonical is None or canonical == str(uuid.UUID(int=0)):
        raise PushError("PrimaryEntityId is not a record id")
    return PushedRecord(entity.lower(), canonical, message)


def _name(document: dict, field: str) -> str:
    value = document.get(field)
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise PushError(f"{field} is missing or not a name")
    return value
