"""The fax servers and numbers the CRM holds (FAX-08..10, -20..26), read once per round.

A host serves some servers (by their key, shared with its local set-up); the
directory says which record each key is, whether it is the default, its dial
and retry settings, and the numbers faxes are sent from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.dataverse import odata
from connectors.dataverse.optional_columns import OptionalColumns
from dataverse_schema.fax import HEADER_CALENDARS, HEADER_LANGUAGES
from dataverse_schema.names import FaxNumber, FaxServer
from domain.digits import digit_setting
from domain.fax import RetryPolicy

#: HylaFAX's RETRYTIME and the domain's retry policy stop at 99 minutes.
MAX_INTERVAL_MINUTES = 99
_JALALI = HEADER_CALENDARS.value_of("Persian (Jalali)")
_PERSIAN = HEADER_LANGUAGES.value_of("Persian")


class QueryClient(Protocol):
    """What the fax services read through (``connectors.dataverse.DataverseClient``)."""

    def query(self, entity_set: str, **options: Any) -> Iterable[dict[str, Any]]: ...


class DirectoryClient(QueryClient, Protocol):
    """What :meth:`FaxDirectory.load` reads through: a query client that knows the columns its environment lacks."""

    optional_columns: OptionalColumns


@dataclass(frozen=True)
class SendingNumber:
    """One of our fax numbers: its record, the number and the station id shown to the far end."""

    record_id: str
    number: str
    station_id: str = ""
    is_default: bool = False


@dataclass(frozen=True)
class ServerEntry:
    """A fax server row and its numbers; ``header_zone`` (an IANA name, checked where it is used),
    ``header_jalali`` and ``header_persian`` say how the page header is written (FAX-14)."""

    record_id: str
    key: str
    name: str
    is_default: bool = False
    dial_prefix: str = ""
    extension_wait_s: int = 0
    retry_count: int | None = None
    retry_interval_min: int | None = None
    header: str = ""
    header_zone: str = ""
    header_jalali: bool = False
    header_persian: bool = False
    status_refresh_s: int | None = None
    receive_enabled: bool = True
    numbers: tuple[SendingNumber, ...] = field(default=())

    @property
    def language(self) -> str:
        """``"fa"`` when the row's Header Language is Persian, else ``"en"``: also the language of the
        subjects and notes of the server's faxes (X-05)."""
        return "fa" if self.header_persian else "en"

    def retry_policy(self) -> RetryPolicy:
        """Retries are further attempts, so the dials are one more; the interval is capped at 99 minutes."""
        dials = None if self.retry_count is None else min(self.retry_count + 1, 99)
        minutes = self.retry_interval_min
        interval = None if minutes is None else min(minutes, MAX_INTERVAL_MINUTES) * 60
        return RetryPolicy(max_dials=dials, interval_s=interval)

    def number(self, record_id: str) -> SendingNumber | None:
        """The fax's chosen number (``record_id``) when it is this server's, else the server's default."""
        chosen = next((n for n in self.numbers if record_id and n.record_id == record_id), None)
        return chosen or next((n for n in self.numbers if n.is_default), None)


class FaxDirectory:
    """The fax servers of one Dataverse environment, by key and by record id."""

    def __init__(self, servers: Sequence[ServerEntry]):
        self.servers = tuple(servers)
        self._by_key = {s.key: s for s in self.servers}

    def by_key(self, key: str) -> ServerEntry | None:
        return self._by_key.get(key)

    def serves(self, key: str, server_record_id: str) -> bool:
        """Whether a fax naming ``server_record_id`` (or none) goes through the server ``key``."""
        entry = self.by_key(key)
        if entry is None:
            return False
        return entry.record_id == server_record_id if server_record_id else entry.is_default

    @classmethod
    def load(cls, client: DirectoryClient, keys: Iterable[str] | None = None, *, numbers: bool = True) -> FaxDirectory:
        """Two queries: the active servers (``keys`` only, when given) and their numbers; one without
        ``numbers`` (the entries then have none: for their settings only, such as the language)."""
        wanted = list(keys) if keys is not None else None
        flt = odata.eq(FaxServer.STATECODE, 0)
        if wanted:
            flt = odata.and_(flt, odata.in_(FaxServer.SERVERKEY, wanted))
        rows = _server_rows(client, flt)
        found = (
            list(
                client.query(
                    FaxNumber.SET,
                    select=_NUMBER_SELECT,
                    filter=odata.and_(odata.eq(FaxNumber.STATECODE, 0), odata.eq(FaxNumber.CANSEND, True)),
                )
            )
            if rows and numbers
            else []
        )
        return cls([_server(row, found) for row in rows])


def _server_rows(client: DirectoryClient, flt: str) -> list[dict[str, Any]]:
    """The server rows; from an environment whose CommSuite solution predates the page-header columns
    (the bridge or Functions app updated before the solution was imported), without them, said once."""
    return client.optional_columns.run(
        FaxServer.TABLE,
        _HEADER_COLUMNS,
        lambda present: list(client.query(FaxServer.SET, select=_SERVER_SELECT + present, filter=flt)),
        together=True,
        consequence="fax page headers are printed in the host's default zone, Gregorian, in English, "
        "and fax subjects and notes are written in English",
    )


#: Page-header settings, added after the first release (FAX-14, X-05): an older solution lacks them.
_HEADER_COLUMNS = (FaxServer.HEADERTIMEZONE, FaxServer.HEADERCALENDAR, FaxServer.HEADERLANGUAGE)

#: Read with the page-header columns the environment has (:func:`_server_rows`).
_SERVER_SELECT = (
    FaxServer.ID,
    FaxServer.SERVERKEY,
    FaxServer.NAME,
    FaxServer.ISDEFAULT,
    FaxServer.DIALPREFIX,
    FaxServer.EXTENSIONWAITSECONDS,
    FaxServer.RETRYCOUNT,
    FaxServer.RETRYINTERVALMINUTES,
    FaxServer.PAGEHEADER,
    FaxServer.STATUSREFRESHSECONDS,
    FaxServer.RECEIVEENABLED,
)
_NUMBER_SELECT = (FaxNumber.ID, FaxNumber.FAXSERVERID_VALUE, FaxNumber.NUMBER, FaxNumber.STATIONID, FaxNumber.ISDEFAULT)


def _server(row: Mapping[str, Any], numbers: Sequence[Mapping[str, Any]]) -> ServerEntry:
    record_id = str(row[FaxServer.ID])
    mine = tuple(
        SendingNumber(
            str(n[FaxNumber.ID]),
            # Sent to the fax server as its number and station id (T.30 TSI): ASCII digits.
            digit_setting(str(n.get(FaxNumber.NUMBER) or "")),
            digit_setting(str(n.get(FaxNumber.STATIONID) or "")),
            bool(n.get(FaxNumber.ISDEFAULT)),
        )
        for n in numbers
        if n.get(FaxNumber.FAXSERVERID_VALUE) == record_id
    )
    receive = row.get(FaxServer.RECEIVEENABLED)
    return ServerEntry(
        record_id=record_id,
        key=str(row.get(FaxServer.SERVERKEY) or ""),
        name=str(row.get(FaxServer.NAME) or ""),
        is_default=bool(row.get(FaxServer.ISDEFAULT)),
        dial_prefix=str(row.get(FaxServer.DIALPREFIX) or ""),
        extension_wait_s=int(row.get(FaxServer.EXTENSIONWAITSECONDS) or 0),
        retry_count=row.get(FaxServer.RETRYCOUNT),
        retry_interval_min=row.get(FaxServer.RETRYINTERVALMINUTES),
        header=str(row.get(FaxServer.PAGEHEADER) or ""),
        header_zone=str(row.get(FaxServer.HEADERTIMEZONE) or "").strip(),
        header_jalali=row.get(FaxServer.HEADERCALENDAR) == _JALALI,
        header_persian=row.get(FaxServer.HEADERLANGUAGE) == _PERSIAN,
        status_refresh_s=row.get(FaxServer.STATUSREFRESHSECONDS),
        receive_enabled=True if receive is None else bool(receive),
        numbers=mine,
    )


__all__ = ["DirectoryClient", "FaxDirectory", "QueryClient", "SendingNumber", "ServerEntry"]
