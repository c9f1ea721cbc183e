"""MyFax (Consensus Cloud Solutions, formerly j2 Global) over HTTPS (FAX-02, -16) — built to an UNCONFIRMED shape.

No public MyFax API documentation was found (searches and findings: ``docs/fax.md``,
"MyFax"). Consumer MyFax is e-mail only (``<number>@send.myfax.com``); a public
account note says consumer MyFax "does not expose REST/SOAP APIs" and that API
access means eFax Corporate, the same company's enterprise product. The closest
documented shape is that eFax API as a public tool listing describes it
(https://www.mcpbundles.com/skills/efax-mcp-5f210c581c): "Mirrors POST /v1/faxes"
(documents uploaded "as multipart/form-data", one or more recipients, up to 20
documents), "Mirrors GET /v1/faxes/{fax_id}" (a fax's "composed lifecycle status
and metadata", "for sent and received faxes"), a fax list with "zero-based
page-index pagination", and content "retrieved separately".

Every wire detail below that the listing does not state is UNCONFIRMED and kept
in one place, the ``UNCONFIRMED_*`` constants: the base URL (a setting, no
default), Bearer authentication, the form field names, the reply field names, the
status words, the list filter and the content path. Confirm them against the
account's own API documentation before production use. Only the behaviour
around them (timeouts, 429, errors, secrets) is held to our standard and tested.
There is no documented way to carry our key or to cancel, so ``find_by_key`` and
``cancel`` raise ``RejectedError`` (code ``unsupported``): after an
``OutcomeUnknownError`` on submit a person must look in the MyFax portal.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import requests
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from connectors.errors import AuthError, RejectedError
from connectors.fax.base import ProcessedMarks, unsupported
from connectors.settings import Secret
from connectors.sms._wire import Wire, rows
from domain.fax import (
    DialStringError,
    DialStyle,
    DocumentKind,
    FailureReason,
    FaxJobState,
    FaxJobStatus,
    OutgoingFax,
    ReceivedFax,
    SubmitReceipt,
    build_dial_string,
)

log = logging.getLogger(__name__)
SYSTEM = "myfax"

#: UNCONFIRMED paths under ``base_url`` (only ``/v1/faxes`` and ``/v1/faxes/{fax_id}`` are named by the listing).
UNCONFIRMED_FAXES = "/v1/faxes"
UNCONFIRMED_CONTENT = "/v1/faxes/{fax_id}/content"
#: UNCONFIRMED multipart field names of the send request.
UNCONFIRMED_SEND_FIELDS = {
    "to": "to",
    "sender_name": "sender_name",
    "recipient_name": "recipient_name",
    "file": "documents",
}
#: UNCONFIRMED reply fields and list filter.
UNCONFIRMED_ID, UNCONFIRMED_STATUS, UNCONFIRMED_PAGES, UNCONFIRMED_FROM = "fax_id", "status", "pages", "from"
UNCONFIRMED_LIST = {"direction": "inbound"}
UNCONFIRMED_LIST_ITEMS = "faxes"
#: UNCONFIRMED status words → our states; any other word is UNKNOWN and kept as status_text.
UNCONFIRMED_STATES = {
    "queued": FaxJobState.PENDING,
    "pending": FaxJobState.PENDING,
    "sending": FaxJobState.SENDING,
    "in_progress": FaxJobState.SENDING,
    "sent": FaxJobState.DONE,
    "delivered": FaxJobState.DONE,
    "success": FaxJobState.DONE,
    "received": FaxJobState.DONE,
    "failed": FaxJobState.FAILED,
}
_MIME = {"pdf": "application/pdf", "tiff": "image/tiff", "ps": "application/postscript"}


class MyFaxSettings(BaseModel):
    """One MyFax / eFax API account. ``base_url`` has no default: the API's address is not documented publicly."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: HttpUrl
    access_token: Secret
    connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    read_timeout_s: float = Field(default=30.0, gt=0, le=300)
    max_pages: int = Field(default=50, ge=1, le=1000, description="list pages read per list_received")
    stamp_header: bool | None = Field(
        default=None, description="draw the page header on the pages before upload; None: on (MyFax prints none)"
    )


class MyFaxServer:
    """A ``FaxServer`` over the (unconfirmed) MyFax / eFax REST shape."""

    kind: ClassVar[str] = "myfax"
    dial_style: ClassVar = DialStyle.NUMBER_ONLY
    #: UNCONFIRMED: PDF and TIFF, the formats every cloud fax service takes; PostScript is converted to TIFF first.
    document_kinds: ClassVar = (DocumentKind.PDF, DocumentKind.TIFF)
    #: No documented per-fax header: the sender draws it onto the pages (TIFF) before upload (FAX-14).
    prints_header: ClassVar = False

    def __init__(self, settings: MyFaxSettings, *, session: requests.Session, processed: ProcessedMarks | None = None):
        self.settings = settings
        token = settings.access_token.reveal()
        self._wire = Wire(session, SYSTEM, (settings.connect_timeout_s, settings.read_timeout_s), secrets=(token,))
        self._processed: ProcessedMarks = processed if processed is not None else set()

    def check(self) -> str:
        """One list call with our token."""
        self._get(UNCONFIRMED_FAXES, "check", params={"page": 0})
        return f"MyFax API at {self.settings.base_url}"

    def submit(self, fax: OutgoingFax) -> SubmitReceipt:
        """Upload the documents and recipient in one multipart POST; a lost reply is ``OutcomeUnknownError``."""
        try:
            number = build_dial_string(fax.dial, self.dial_style)
        except DialStringError as exc:
            raise RejectedError(str(exc), code="bad_value", system=SYSTEM, operation="submit", key=fax.key) from exc
        fields = UNCONFIRMED_SEND_FIELDS
        data = {
            fields["to"]: number,
            fields["sender_name"]: fax.sender_name,
            fields["recipient_name"]: fax.recipient_name,
        }
        files = [(fields["file"], (d.file_name, d.content, _MIME[d.kind.value])) for d in fax.documents]
        reply = self._call("POST", UNCONFIRMED_FAXES, "submit", fax.key, data=data, files=files)
        fax_id = self._wire.parse("submit", reply, lambda r: _text(r[UNCONFIRMED_ID]), fax.key)
        log.info("fax submitted", extra={"system": SYSTEM, "key": fax.key, "job_id": fax_id})
        return SubmitReceipt(job_id=fax_id)

    def status(self, job_ids: Sequence[str]) -> list[FaxJobStatus]:
        """``GET /v1/faxes/{fax_id}`` per id; ids the service does not know (404) are absent."""
        found = []
        for job_id in job_ids:
            reply = self._get(f"{UNCONFIRMED_FAXES}/{_safe_id(job_id)}", "status", missing_ok=True)
            if reply is not None:
                found.append(self._wire.parse("status", reply, _job_status))
        return found

    def find_by_key(self, key: str) -> list[FaxJobStatus]:
        """Not offered: no documented field carries our key."""
        raise unsupported(SYSTEM, "find_by_key", "a field for our own reference (look the fax up in the portal)")

    def cancel(self, job_id: str) -> None:
        """Not offered: no documented cancel."""
        raise unsupported(SYSTEM, "cancel", "cancelling a fax")

    def list_received(self) -> list[ReceivedFax]:
        """Inbound faxes page by page (zero-based) until an empty page, minus those marked processed."""
        faxes: list[ReceivedFax] = []
        for page in range(self.settings.max_pages):
            reply = self._get(UNCONFIRMED_FAXES, "list_received", params=UNCONFIRMED_LIST | {"page": page})
            batch = self._wire.parse("list_received", reply, _received_page)
            if not batch:
                break
            faxes += batch
        return [f for f in faxes if f.server_id not in self._processed]

    def fetch_received(self, server_id: str) -> bytes:
        """The document as the service gives it (PDF or TIFF; UNCONFIRMED path)."""
        url = self._url(UNCONFIRMED_CONTENT.format(fax_id=_safe_id(server_id)))
        response = self._wire.request("GET", url, operation="fetch_received", headers=self._auth(), check_status=True)
        self._refuse(response, "fetch_received", None)
        return response.content

    def mark_processed(self, server_id: str) -> None:
        """Remember the fax as stored (kept by us; nothing is deleted at the service)."""
        self._processed.add(server_id)

    def _get(self, path: str, operation: str, *, params: dict | None = None, missing_ok: bool = False) -> Any:
        return self._call("GET", path, operation, None, params=params, missing_ok=missing_ok)

    def _call(
        self,
        method: str,
        path: str,
        operation: str,
        key: str | None,
        *,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> Any:
        response = self._wire.request(
            method, self._url(path), operation=operation, key=key, headers=self._auth(), **kwargs
        )
        if missing_ok and response.status_code == 404:
            return None
        self._refuse(response, operation, key)
        return self._wire.json(response, operation, key)

    def _refuse(self, response: requests.Response, operation: str, key: str | None) -> None:
        """401 / 403 → ``AuthError``; any other 4xx → ``RejectedError`` with the service's words."""
        context = {"system": SYSTEM, "operation": operation, "key": key}
        if response.status_code in (401, 403):
            raise AuthError(f"MyFax refused the token (HTTP {response.status_code})", **context)
        if 400 <= response.status_code < 500:
            text = self._wire.scrub(response.text[:300])
            raise RejectedError(f"HTTP {response.status_code}: {text}", code=str(response.status_code), **context)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.access_token.reveal()}"}  # UNCONFIRMED scheme

    def _url(self, path: str) -> str:
        return str(self.settings.base_url).rstrip("/") + path


def _text(value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise ValueError(f"not an id: {value!r}")
    return str(value).strip()


def _pages(value: Any) -> int:
    pages = int(value or 0)
    if pages < 0:
        raise ValueError(f"a negative page count: {pages}")
    return pages


def _safe_id(value: str) -> str:
    if not value or not all(c.isalnum() or c in "-_" for c in value):
        raise RejectedError(
            f"{value[:40]!r} is not a MyFax fax id", code="bad_value", system=SYSTEM, operation="status"
        )
    return value


def _job_status(reply: Any) -> FaxJobStatus:
    word = str(reply[UNCONFIRMED_STATUS]).strip().lower()
    state = UNCONFIRMED_STATES.get(word, FaxJobState.UNKNOWN)
    pages = _pages(reply.get(UNCONFIRMED_PAGES))
    return FaxJobStatus(
        job_id=_text(reply[UNCONFIRMED_ID]),
        state=state,
        reason=FailureReason.OTHER if state is FaxJobState.FAILED else FailureReason.NONE,
        status_text=word,
        pages_sent=pages if state is FaxJobState.DONE else 0,
        pages_total=pages,
    )


def _received_page(reply: Any) -> list[ReceivedFax]:
    return [
        ReceivedFax(
            server_id=_text(item[UNCONFIRMED_ID]),
            file_name=f"{_text(item[UNCONFIRMED_ID])}.pdf",
            received_at=None,
            pages=_pages(item.get(UNCONFIRMED_PAGES)),
            caller_number=str(item.get(UNCONFIRMED_FROM) or ""),
        )
        for item in rows(reply[UNCONFIRMED_LIST_ITEMS])
    ]


__all__ = ["MyFaxServer", "MyFaxSettings"]
