"""HylaFAX (and Elastix / Issabel fax, which is HylaFAX) through hfaxd's client protocol, port 4559 (FAX-02, -16).

Submit: upload each document with ``STOT`` (a temporary file, unlinked when
the session ends, so ``JPARM DOCUMENT`` must follow in the same session),
``JNEW``, the ``JPARM`` settings, ``JSUBM``. Order matters: ``SENDTIME``
before ``LASTTIME``, because the kill time is relative to the send time, and
``LASTTIME`` always, because a job submitted without it was killed at once
("Kill time expired") on 6.0.7. ``SENDTIME`` is always GMT ``YYYYMMDDHHMM``
(``ifax/HylaFAX:hfaxd/Parser.c++``). Our key goes in ``JOBINFO`` (listed as
``%J``), so a submit whose reply was lost is found again with ``find_by_key``.
Status: ``JOBFMT`` + ``LIST sendq`` and ``LIST doneq``. Received faxes:
``RCVFMT`` + ``LIST recvq``, ``RETR recvq/<file>``; "processed" is kept by
us (see :class:`ProcessedMarks`), and the file is deleted with ``DELE`` only
when ``delete_processed`` is set (Issabel's own fax viewer reads the same
``recvq``, so deleting is the admin's choice). See ``docs/fax.md``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors.errors import BadReplyError, NotSentError, OutcomeUnknownError, RejectedError
from connectors.fax.base import ProcessedMarks
from connectors.fax.hylafax.replies import (
    JOB_FORMAT,
    RECV_FORMAT,
    SYSTEM,
    parse_job_line,
    parse_new_job,
    parse_recv_line,
    split_listing,
)
from connectors.fax.hylafax.session import HylaFaxSession, opened, quote
from connectors.settings import Secret
from domain.fax import (
    DialStyle,
    DocumentKind,
    FaxJobStatus,
    OutgoingFax,
    ReceivedFax,
    SubmitReceipt,
    build_dial_string,
    display_number,
)

log = logging.getLogger(__name__)
#: sendfax's default kill time, 3 hours, as ``LASTTIME`` shows it (``000259``).
DEFAULT_LASTTIME = "000259"


class HylaFaxSettings(BaseModel):
    """One hfaxd: where it is, who we log in as, and how its modems pause (FAX-20, -22, -26)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(min_length=1)
    port: int = Field(default=4559, ge=1, le=65535)
    user: str = Field(min_length=1, pattern=r"^[^\s]+$")
    password: Secret | None = None
    connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    read_timeout_s: float = Field(default=30.0, gt=0, le=300)
    comma_pause_s: int = Field(default=2, ge=1, le=10, description="the modems' S8 (ModemCommaPauseTimeCmd)")
    default_modem: str = ""
    delete_processed: bool = False
    admin_password: Secret | None = Field(default=None, description="needed for DELE in recvq (delete_processed)")
    stamp_header: bool | None = Field(
        default=None, description="draw the page header on the pages before upload; None: off (TAGLINE prints it)"
    )


def tag_line(header: str) -> str:
    """A HylaFAX tag line printing ``header`` left, the date centre and page of pages right (FAX-14).

    ``|`` separates tag-line fields and ``%`` starts a format code, so both are
    dropped from the header (``ifax/HylaFAX:man/hylafax-config.4f`` TagLineFormat).
    """
    clean = header.replace("|", " ").replace("%", "").strip()
    return f"{clean}|%Y-%m-%d %H:%M|Page %%P of %%T"


def gmt_minutes(when: datetime) -> str:
    """``SENDTIME``'s GMT ``YYYYMMDDHHMM``."""
    return when.astimezone(UTC).strftime("%Y%m%d%H%M")


def relative_days_hours_minutes(seconds: float) -> str:
    """``LASTTIME``'s ``DDHHMM`` for a span, rounded up to whole minutes (at most 99 days)."""
    minutes = min(math.ceil(seconds / 60), 99 * 24 * 60 + 23 * 60 + 59)
    days, rest = divmod(max(minutes, 1), 24 * 60)
    return f"{days:02d}{rest // 60:02d}{rest % 60:02d}"


class HylaFaxServer:
    """A ``FaxServer`` speaking to one hfaxd. Sessions are short: one per call."""

    kind: ClassVar[str] = "hylafax"
    dial_style: ClassVar = DialStyle.MODEM
    #: hfaxd converts each with its own scripts (ps2fax, pdf2fax, tiff2fax: Ghostscript and libtiff).
    document_kinds: ClassVar = (DocumentKind.PDF, DocumentKind.TIFF, DocumentKind.POSTSCRIPT)
    #: The job's TAGLINE prints the header on every page (FAX-14).
    prints_header: ClassVar = True

    def __init__(
        self,
        settings: HylaFaxSettings,
        *,
        processed: ProcessedMarks | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.settings = settings
        self._processed: ProcessedMarks = processed if processed is not None else set()
        self._clock = clock

    def check(self) -> str:
        """Log in and out; returns the server's greeting (name and version)."""
        with self._session() as session:
            return session.greeting.text

    def submit(self, fax: OutgoingFax) -> SubmitReceipt:
        """Upload, set up and submit one job. Before ``JSUBM`` leaves, failures are ``NotSentError``.

        A value hfaxd cannot take (a line break in a name or number) is ``RejectedError`` before we connect.
        """
        params = self._parameters(fax)
        with self._session() as session:
            try:
                job_id, group_id = self._prepare(session, fax, params)
            except (OutcomeUnknownError, BadReplyError) as exc:
                # Nothing was submitted: a job that was created but never submitted does not get sent.
                # A malformed reply keeps its raw text on the chained BadReplyError (``__cause__``).
                raise NotSentError(exc.message, system=SYSTEM, operation="submit", key=fax.key) from exc
            reply = session.command("JSUBM", "submit")
            session.expect(reply, 200, operation="submit")
        log.info("fax submitted", extra={"system": SYSTEM, "key": fax.key, "job_id": job_id})
        return SubmitReceipt(job_id=job_id, group_id=group_id)

    def status(self, job_ids: Sequence[str]) -> list[FaxJobStatus]:
        """Status of the given jobs from the send and done queues; unknown ids are absent."""
        wanted = set(job_ids)
        return [job for job in self._jobs() if job.job_id in wanted]

    def find_by_key(self, key: str) -> list[FaxJobStatus]:
        """Jobs whose ``JOBINFO`` is our key."""
        return [job for job in self._jobs() if job.key == key]

    def cancel(self, job_id: str) -> None:
        """``JKILL``: the job ends FAILED with "Job aborted by request" (we read that as CANCELLED)."""
        if not job_id.isdigit():
            raise RejectedError(
                f"{job_id!r} is not a HylaFAX job id", code="bad_value", system=SYSTEM, operation="cancel"
            )
        with self._session() as session:
            session.expect(session.command(f"JKILL {job_id}", "cancel"), 200, operation="cancel")

    def list_received(self) -> list[ReceivedFax]:
        """Complete received faxes we have not marked processed, oldest first."""
        with self._session() as session:
            session.expect(session.command(f'RCVFMT "{RECV_FORMAT}"', "list_received"), 200, operation="list_received")
            data = session.download("LIST recvq", "list_received")
        faxes = [fax for fax in self._parse_lines(data, parse_recv_line) if fax.is_complete]
        fresh = [fax for fax in faxes if fax.server_id not in self._processed]
        return sorted(fresh, key=lambda f: (f.received_at or datetime.min.replace(tzinfo=UTC), f.server_id))

    def fetch_received(self, server_id: str) -> bytes:
        """The received TIFF, byte for byte."""
        with self._session() as session:
            return session.download(f"RETR recvq/{_recv_name(server_id)}", "fetch_received")

    def mark_processed(self, server_id: str) -> None:
        """Remember the fax as stored; with ``delete_processed`` also ``DELE`` it from the server."""
        name = _recv_name(server_id)
        if self.settings.delete_processed:
            with self._session() as session:
                session.expect(
                    session.command(f"DELE recvq/{name}", "mark_processed"),
                    250,
                    200,
                    operation="mark_processed",
                )
        self._processed.add(name)

    @staticmethod
    def _prepare(session: HylaFaxSession, fax: OutgoingFax, params: list[tuple[str, str]]) -> tuple[str, str]:
        names = [session.store_temporary(doc.content, "submit") for doc in fax.documents]
        job_id, group_id = parse_new_job(session.expect(session.command("JNEW", "submit"), 200, operation="submit"))
        for name, value in params:
            session.expect(session.command(f"JPARM {name} {value}", "submit"), 213, operation="submit")
        for name in names:
            session.expect(session.command(f"JPARM DOCUMENT {name}", "submit"), 200, operation="submit")
        return job_id, group_id

    def _parameters(self, fax: OutgoingFax) -> list[tuple[str, str]]:
        dial = build_dial_string(fax.dial, self.dial_style, self.settings.comma_pause_s)
        params = [
            ("DIALSTRING", quote(dial)),
            ("EXTERNAL", quote(display_number(fax.dial))),
            ("JOBINFO", quote(fax.key)),
            ("NOTIFY", quote("none")),
        ]
        send_at = fax.send_after
        params.append(("SENDTIME", gmt_minutes(send_at) if send_at else "NOW"))
        if fax.give_up_at:
            span = (fax.give_up_at - (send_at or self._clock())).total_seconds()
            params.append(("LASTTIME", relative_days_hours_minutes(span)))
        else:
            params.append(("LASTTIME", DEFAULT_LASTTIME))
        if fax.retry.max_dials:
            params.append(("MAXDIALS", str(fax.retry.max_dials)))
        if fax.retry.max_tries:
            params.append(("MAXTRIES", str(fax.retry.max_tries)))
        if fax.retry.interval_s:
            minutes, seconds = divmod(fax.retry.interval_s, 60)
            params.append(("RETRYTIME", f"{minutes:02d}{seconds:02d}"))
        optional = [
            ("TOUSER", fax.recipient_name),
            ("FROMUSER", fax.sender_name),
            ("FAXNUMBER", fax.sending_number),
            ("TSI", fax.sending_number),
            ("MODEM", fax.modem or self.settings.default_modem),
        ]
        params.extend((name, quote(value)) for name, value in optional if value)
        if fax.header:
            params += [("TAGLINE", quote(tag_line(fax.header))), ("USETAGLINE", "YES")]
        return params

    def _jobs(self) -> list[FaxJobStatus]:
        with self._session() as session:
            session.expect(session.command(f'JOBFMT "{JOB_FORMAT}"', "status"), 200, operation="status")
            data = session.download("LIST sendq", "status") + b"\r\n" + session.download("LIST doneq", "status")
        return self._parse_lines(data, parse_job_line)

    @staticmethod
    def _parse_lines(data: bytes, parse: Callable) -> list:
        """Parse each listing line; a malformed line is logged with its text and skipped, the rest go on."""
        parsed = []
        for line in split_listing(data):
            try:
                parsed.append(parse(line))
            except BadReplyError as exc:
                log.warning("skipped a listing line hfaxd sent: %s", exc, extra={"system": SYSTEM, "raw": exc.raw})
        return parsed

    def _session(self):
        s = self.settings
        return opened(
            s.host,
            s.port,
            s.user,
            s.password.reveal() if s.password else None,
            admin_password=s.admin_password.reveal() if s.admin_password else None,
            connect_timeout_s=s.connect_timeout_s,
            read_timeout_s=s.read_timeout_s,
        )


def _recv_name(server_id: str) -> str:
    """A received-fax file name, refused unless it is a plain ``fax*.tif`` name (no paths)."""
    if not server_id.startswith("fax") or "/" in server_id or ".." in server_id or not server_id.endswith(".tif"):
        raise RejectedError(
            f"{server_id[:40]!r} is not a received-fax file name",
            code="bad_value",
            system=SYSTEM,
            operation="fetch_received",
        )
    return server_id


__all__ = ["DEFAULT_LASTTIME", "HylaFaxServer", "HylaFaxSettings", "tag_line"]
