"""File column data: upload (whole or in chunks), download and delete, as Dataverse keeps it.

Shapes from MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/file-column-data.md:
the file column of a record holds the file's id and its ``<column>_name`` column the file name;
the bytes live beside the record (here in ``_files``, as Dataverse keeps them in file storage,
not in the row). A file larger than the column's ``MaxSizeInKB`` is refused with
``0x80044a02`` "Attachment file size is too big.". A chunked upload is a session addressed by
an opaque token; its chunks must arrive in order and the file is written when the last byte
arrives. Sessions live in memory (a restart forgets them, as a real session expires).
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from dataverse_schema.model import Column, ColumnType
from emulator.errors import ODataError, bad_request
from emulator.odata.refs import RecordRef
from emulator.store.database import Database
from emulator.store.schema import Layout

TOO_BIG_CODE = "0x80044a02"
#: The chunk size Dataverse recommends in ``x-ms-chunk-size`` (4 MiB, as in Microsoft's examples).
CHUNK_SIZE = 4 * 1024 * 1024
_DEFAULT_SIZE_KB = 32_768
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_DDL = (
    "CREATE TABLE IF NOT EXISTS _files (fileid TEXT PRIMARY KEY, tbl TEXT NOT NULL, recordid TEXT NOT NULL, "
    "col TEXT NOT NULL, name TEXT NOT NULL, mimetype TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (tbl, recordid, col))"
)


class RecordAccess(Protocol):
    """What the file store needs of the record store."""

    def locate(self, entity_set: str, ref: RecordRef) -> tuple[Layout, str]: ...

    def write_system(self, layout: Layout, record_id: str, values: dict[str, object]) -> None: ...


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    name: str
    mime_type: str
    data: bytes


@dataclass
class _Session:
    entity_set: str
    record_id: str
    column: str
    name: str
    received: bytearray = field(default_factory=bytearray)


class FileStore:
    """File column data of every table, in the store's database."""

    def __init__(self, db: Database, records: RecordAccess) -> None:
        self._db = db
        self._records = records
        self._sessions: dict[str, _Session] = {}
        self._sessions_lock = threading.Lock()
        with db.transaction() as connection:
            connection.execute(_DDL)

    def upload(self, entity_set: str, ref: RecordRef, column: str, *, name: str, mime_type: str, data: bytes) -> str:
        """Store ``data`` as the record's file (replacing any); returns the new file id."""
        with self._db.transaction() as connection:
            layout, record_id = self._records.locate(entity_set, ref)
            _check_size(file_column(layout, column), len(data))
            return self._write(connection, layout, record_id, column, name, mime_type, data)

    def begin_chunks(self, entity_set: str, ref: RecordRef, column: str, *, name: str) -> str:
        """Open a chunked upload to an existing record's file column; returns the session token."""
        with self._db.lock:
            layout, record_id = self._records.locate(entity_set, ref)
            file_column(layout, column)
        token = secrets.token_urlsafe(24)
        with self._sessions_lock:
            self._sessions[token] = _Session(entity_set, record_id, column, name)
        return token

    def add_chunk(
        self, token: str, entity_set: str, ref: RecordRef, column: str, content_range: str | None, data: bytes
    ) -> bool:
        """Append one chunk; True when it was the last one and the file is stored."""
        with self._sessions_lock:
            session = self._sessions.get(token)
        if session is None or session.entity_set != entity_set or session.column != column:
            raise bad_request("The sessiontoken is not valid for this file column; start a new chunked upload.")
        start, end, total = _parse_range(content_range, len(data))
        with self._db.transaction() as connection:
            layout, record_id = self._records.locate(entity_set, ref)
            if record_id != session.record_id:
                raise bad_request("The sessiontoken belongs to another record.")
            _check_size(file_column(layout, column), total)
            if start != len(session.received):
                raise bad_request(f"Expected the chunk starting at byte {len(session.received)}; got {start}.")
            session.received.extend(data)
            if end + 1 < total:
                return False
            with self._sessions_lock:
                self._sessions.pop(token, None)
            mime_type = guess_mime(session.name)
            self._write(connection, layout, record_id, column, session.name, mime_type, bytes(session.received))
            return True

    def download(self, entity_set: str, ref: RecordRef, column: str) -> StoredFile:
        """The record's file; 404 when the column holds none."""
        with self._db.lock:
            layout, record_id = self._records.locate(entity_set, ref)
            file_column(layout, column)
            row = self._db.connection.execute(
                "SELECT fileid, name, mimetype, data FROM _files WHERE tbl = ? AND recordid = ? AND col = ?",
                (layout.table.logical_name, record_id, column),
            ).fetchone()
        if row is None:
            raise ODataError(404, "0x80040217", f"No file is attached to {column} of this {layout.table.logical_name}.")
        return StoredFile(row["fileid"], row["name"], row["mimetype"], bytes(row["data"]))

    def delete(self, entity_set: str, ref: RecordRef, column: str) -> None:
        """Remove the record's file and clear the column and its name (nothing to remove is no error)."""
        with self._db.transaction() as connection:
            layout, record_id = self._records.locate(entity_set, ref)
            file_column(layout, column)
            removed = connection.execute(
                "DELETE FROM _files WHERE tbl = ? AND recordid = ? AND col = ?",
                (layout.table.logical_name, record_id, column),
            ).rowcount
            if removed:
                self._records.write_system(layout, record_id, _column_values(layout, column, None, None))

    def forget(self, connection: sqlite3.Connection, logical_name: str, record_id: str) -> None:
        """Drop a deleted record's files."""
        connection.execute("DELETE FROM _files WHERE tbl = ? AND recordid = ?", (logical_name, record_id))

    def _write(
        self,
        connection: sqlite3.Connection,
        layout: Layout,
        record_id: str,
        column: str,
        name: str,
        mime_type: str,
        data: bytes,
    ) -> str:
        file_id = str(uuid.uuid4())
        table = layout.table.logical_name
        connection.execute("DELETE FROM _files WHERE tbl = ? AND recordid = ? AND col = ?", (table, record_id, column))
        connection.execute(
            "INSERT INTO _files VALUES (?, ?, ?, ?, ?, ?, ?)",
            (file_id, table, record_id, column, name, mime_type, data),
        )
        self._records.write_system(layout, record_id, _column_values(layout, column, file_id, name))
        return file_id


def file_column(layout: Layout, name: str) -> Column:
    """The file column ``name`` of the table; 400 when the table has no such file column."""
    table = layout.table
    if not table.has_column(name) or table.column(name).type is not ColumnType.FILE:
        raise bad_request(f"'{name}' is not a file or image column of '{table.logical_name}'.")
    return table.column(name)


def is_file_column(layout: Layout, name: str) -> bool:
    table = layout.table
    return table.has_column(name) and table.column(name).type is ColumnType.FILE


def _column_values(layout: Layout, column: str, file_id: str | None, name: str | None) -> dict[str, object]:
    values: dict[str, object] = {column: file_id}
    if layout.table.has_column(f"{column}_name"):
        values[f"{column}_name"] = name
    return values


def _check_size(column: Column, size: int) -> None:
    if size > (column.max_size_kb or _DEFAULT_SIZE_KB) * 1024:
        raise ODataError(400, TOO_BIG_CODE, "Attachment file size is too big.")


def _parse_range(content_range: str | None, length: int) -> tuple[int, int, int]:
    match = _CONTENT_RANGE.fullmatch((content_range or "").strip())
    if match is None:
        raise bad_request("Each chunk needs a Content-Range header 'bytes <start>-<end>/<size>'.")
    start, end, total = (int(part) for part in match.groups())
    if end < start or end >= total or end - start + 1 != length:
        raise bad_request(f"Content-Range '{content_range}' does not match the {length} bytes sent.")
    return start, end, total


def guess_mime(name: str) -> str:
    """The MIME type Dataverse records for a file sent as ``application/octet-stream``: by its extension."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
