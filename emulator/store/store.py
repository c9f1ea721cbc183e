"""The emulator's record store: Dataverse record semantics over SQLite.

Create, retrieve, update, upsert (reference §1.5: PATCH creates when missing,
``If-Match: *`` forbids create, ``If-None-Match: *`` forbids update), delete,
alternate keys (§1.6), ``@odata.bind`` (§1.4), activity parties (§4.6), deep insert
(:mod:`emulator.store.deep`). Reads
and change tracking live in :mod:`emulator.store.queries`, the rules a write obeys in
:mod:`emulator.store.rules`. Thread-safe: see
:mod:`emulator.store.database`.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

from dataverse_schema.model import ManyToManyRelationship, Table
from emulator.errors import bad_request, not_supported, segment_not_found
from emulator.odata.options import QueryOptions
from emulator.odata.refs import RecordRef, parse_entity_url
from emulator.odata.sql import quote
from emulator.store import builtin, deep, intersect, links, queries, removal, rules
from emulator.store.body import Changes, parse_body
from emulator.store.collections import related_options, resolve_collection
from emulator.store.database import Database
from emulator.store.files import FileStore
from emulator.store.keys import key_values, ref_where
from emulator.store.records import fetch_by_id
from emulator.store.schema import Layout, build_layout, install_layout, merge_tables

Clock = Callable[[], dt.datetime]


class Store:
    """Dataverse tables in one SQLite database (``":memory:"`` allowed), safe to share between threads."""

    def __init__(self, path: str | os.PathLike, tables: Iterable[Table] = (), *, clock: Clock | None = None):
        self._db = Database(path)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._layouts: dict[str, Layout] = {}
        self._by_set: dict[str, Layout] = {}
        self._many_to_many: dict[str, ManyToManyRelationship] = {}
        for table in builtin.builtin_tables():
            self.install(table)
        with self._db.transaction() as connection:
            for logical, values in builtin.seed_rows().items():
                if fetch_by_id(connection, self._layouts[logical], str(values[f"{logical}id"])) is None:
                    self._insert(self._layouts[logical], Changes(dict(values)), None)
        for table in tables:
            self.install(table)
        self.install_many_to_many(builtin.USER_ROLES)
        roles = self._layouts["systemuser"].associations[builtin.USER_ROLES.navigation1]
        with self._db.transaction() as connection:
            if builtin.SYSTEM_ADMINISTRATOR_ID not in intersect.linked_ids(connection, roles, builtin.APP_USER_ID):
                intersect.associate(connection, roles, builtin.APP_USER_ID, builtin.SYSTEM_ADMINISTRATOR_ID)
        self.files = FileStore(self._db, self)

    # --- schema ------------------------------------------------------------------------------
    @property
    def tables(self) -> Mapping[str, Table]:
        """Installed tables by logical name, including the columns Dataverse maintains."""
        return MappingProxyType({name: layout.table for name, layout in self._layouts.items()})

    @property
    def layouts(self) -> Mapping[str, Layout]:
        """Installed tables' storage and navigation facts by logical name (read-only view)."""
        return MappingProxyType(self._layouts)

    def install(self, table: Table) -> None:
        """Create ``table`` or extend it with new columns and keys. Idempotent."""
        with self._db.transaction() as connection:
            layout = build_layout(merge_tables(self._existing(table.logical_name), table))
            install_layout(connection, layout)
            old = self._layouts.get(table.logical_name)
            if old is not None:
                self._by_set.pop(old.table.entity_set_name, None)
                layout.associations.update(old.associations)
            self._layouts[table.logical_name] = layout
            self._by_set[table.entity_set_name] = layout

    def redefine(self, table: Table) -> None:
        """Replace an installed table's definition; the columns and keys it no longer has are dropped."""
        with self._db.transaction() as connection:
            old = self._layouts[table.logical_name]
            layout = build_layout(merge_tables(None, table))
            removal.drop_missing(connection, old, layout)
            layout.associations.update(old.associations)
            self._layouts[table.logical_name] = layout
            self._by_set[table.entity_set_name] = layout

    def uninstall(self, logical_name: str) -> None:
        """Drop a table and its rows; the caller has checked nothing else refers to it."""
        with self._db.transaction() as connection:
            layout = self._layouts.pop(logical_name)
            self._by_set.pop(layout.table.entity_set_name, None)
            removal.drop_table(connection, layout)

    @property
    def many_to_many(self) -> tuple[ManyToManyRelationship, ...]:
        """Installed many-to-many relationships, in installation order."""
        return tuple(self._many_to_many.values())

    def install_many_to_many(self, relationship: ManyToManyRelationship) -> None:
        """Create the intersect table and both navigation properties. Idempotent; both tables must exist."""
        missing = [name for name in (relationship.entity1, relationship.entity2) if name not in self._layouts]
        if missing:
            raise ValueError(f"{relationship.schema_name}: no table {missing[0]!r} installed")
        tables = self.tables
        with self._db.transaction() as connection:
            intersect.install(connection, relationship, tables)
            for logical_name, association in intersect.sides(relationship, tables):
                self._layouts[logical_name].associations[association.name] = association
            self._many_to_many[relationship.schema_name] = relationship

    def _existing(self, logical_name: str) -> Table | None:
        layout = self._layouts.get(logical_name)
        return layout.table if layout else None

    def table_for_set(self, entity_set: str) -> Table:
        """The table behind an entity set; ODataError 404 "Resource not found for the segment" if none."""
        return self._layout(entity_set).table

    def _layout(self, entity_set: str) -> Layout:
        layout = self._by_set.get(entity_set)
        if layout is None:
            raise segment_not_found(entity_set)
        return layout

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """An atomic group of operations (a ``$batch`` change set); nested calls join it."""
        with self._db.transaction():
            yield

    def whoami(self) -> dict:
        """The emulator's application user, as the WhoAmI function reports it (reference §1.10)."""
        return {
            "BusinessUnitId": builtin.BUSINESS_UNIT_ID,
            "UserId": builtin.APP_USER_ID,
            "OrganizationId": builtin.ORGANIZATION_ID,
        }

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    # --- writes ------------------------------------------------------------------------------
    def create(self, entity_set: str, body: dict) -> str:
        """Create a record, and the new related records its body nests, and return its id (the body's
        primary id if given, else a new uuid4). All or nothing.

        Raises ODataError 400 for a bad body, 404 for a bound record that does
        not exist, 412 for a duplicate id or alternate key.
        """
        layout = self._layout(entity_set)
        with self._db.transaction():
            return deep.create_tree(layout, self._parse(layout, body), self._parse, self._insert_new)

    def update(self, entity_set: str, ref: RecordRef, body: dict, *, must_exist: bool) -> str:
        """PATCH a record; creates it (upsert) unless ``must_exist``. Returns the record id."""
        return self.upsert(entity_set, ref, body, if_match="*" if must_exist else None, if_none_match=None)[0]

    def upsert(
        self, entity_set: str, ref: RecordRef, body: dict, *, if_match: str | None, if_none_match: str | None
    ) -> tuple[str, bool]:
        """Update the record ``ref`` addresses or create it; returns ``(id, created)``.

        ``If-Match: *`` (or an etag) forbids create: 404 when missing; an etag
        that differs gives 412 "0x80060882". ``If-None-Match: *`` forbids
        update: 412 "A record with matching key values already exists.".
        """
        layout = self._layout(entity_set)
        with self._db.transaction() as connection:
            where, params = ref_where(layout, ref)
            row = connection.execute(f"SELECT * FROM {layout.sql_name} WHERE {where}", params).fetchone()
            changes = self._parse(layout, body)
            if changes.nested:
                raise not_supported(
                    f"new related records ('{changes.nested[0].navigation}') in an update or upsert; "
                    "create them with POST, or bind existing ones with @odata.bind"
                )
            if changes.links:
                raise not_supported(
                    f"'{changes.links[0][0]}@odata.bind' (a collection-valued navigation property) in an update "
                    f"or upsert; associate the records with {changes.links[0][0]}/$ref"
                )
            pinned = key_values(layout, ref)
            if row is None:
                if if_match is not None:
                    raise rules.missing(layout, ref)
                for name, value in pinned.items():
                    changes.values.setdefault(name, value)
                rules.check_pinned(changes, pinned)
                return self._insert(layout, changes, ref.id), True
            rules.check_preconditions(row, if_match, if_none_match)
            rules.check_pinned(changes, pinned)
            record_id = str(row[layout.table.primary_id])
            self._update(layout, record_id, changes)
            return record_id, False

    def delete(self, entity_set: str, ref: RecordRef, *, if_match: str | None = None) -> None:
        """Delete a record (and, for an activity, its parties); lookups to it are cleared. 404 when missing."""
        layout = self._layout(entity_set)
        table = layout.table
        with self._db.transaction() as connection:
            where, params = ref_where(layout, ref)
            row = connection.execute(f"SELECT * FROM {layout.sql_name} WHERE {where}", params).fetchone()
            if row is None:
                raise rules.missing(layout, ref)
            rules.check_preconditions(row, if_match, None)
            record_id = str(row[table.primary_id])
            connection.execute(f"DELETE FROM {layout.sql_name} WHERE {quote(table.primary_id)} = ?", (record_id,))
            if table.is_activity:
                connection.execute("DELETE FROM _activities WHERE activityid = ?", (record_id,))
                self._replace_parties(layout, record_id, [])
            self._db.record_change(table.logical_name, record_id, deleted=True)
            links.remove_links(connection, self._layouts, table.logical_name, record_id, self._update)
            for association in layout.associations.values():
                intersect.forget(connection, association, record_id)
            self.files.forget(connection, table.logical_name, record_id)

    def relate(self, entity_set: str, ref: RecordRef, navigation: str, target_url: str, *, remove: bool) -> None:
        """Associate (or with ``remove`` disassociate) the record at ``target_url`` through a collection-valued
        navigation property: a pair of a many-to-many relationship, or the other record's lookup of a
        one-to-many one. 404 for either record missing or, on removal, for a pair that does not exist."""
        layout = self._layout(entity_set)
        with self._db.transaction() as connection:
            record_id = self._find_target(entity_set, ref)[1]
            target = self._find_target(*parse_entity_url(target_url))
            links.relate(
                connection, self._layouts, layout, record_id, navigation, target, remove=remove, update=self._update
            )

    # --- reads -------------------------------------------------------------------------------
    def retrieve(self, entity_set: str, ref: RecordRef, options: QueryOptions) -> dict:
        """One record as Web API JSON with ``$select``/``$expand`` applied; 404 when missing."""
        layout = self._layout(entity_set)
        with self._db.lock:
            record = queries.retrieve(self._db.connection, layout, self._layouts, ref, options)
        if record is None:
            raise rules.missing(layout, ref)
        return record

    def query(
        self,
        entity_set: str,
        options: QueryOptions,
        *,
        page_size: int,
        skiptoken: str | None,
        scope: tuple[str, list[object]] | None = None,
    ) -> queries.QueryPage:
        """One page of matching records (at most ``page_size``, capped at 5,000) and the next page's token;
        ``scope`` is an SQL condition the rows must also meet (the rows the caller may read)."""
        layout = self._layout(entity_set)
        with self._db.lock:
            return queries.query(self._db.connection, layout, self._layouts, options, page_size, skiptoken, scope)

    def query_related(
        self,
        entity_set: str,
        ref: RecordRef,
        navigation: str,
        options: QueryOptions,
        *,
        page_size: int,
        skiptoken: str | None,
        scope: tuple[str, list[object]] | None = None,
    ) -> tuple[queries.QueryPage, str]:
        """One page of a record's collection-valued navigation property (rows meeting ``scope`` too), and the
        entity set its rows belong to."""
        layout = self._layout(entity_set)
        with self._db.lock:
            connection = self._db.connection
            collection = resolve_collection(self._layouts, layout, navigation)
            if collection is None:
                raise segment_not_found(navigation)
            where, params = ref_where(layout, ref)
            row = connection.execute(
                f"SELECT {quote(layout.table.primary_id)} FROM {layout.sql_name} WHERE {where}", params
            ).fetchone()
            if row is None:
                raise rules.missing(layout, ref)
            nested = related_options(collection, str(row[0]), options, options.formatted, connection)
            page = queries.query(connection, collection.target, self._layouts, nested, page_size, skiptoken, scope)
        return page, collection.target.table.entity_set_name

    @contextmanager
    def reading(self) -> Iterator[tuple[sqlite3.Connection, Mapping[str, Layout], dt.datetime]]:
        """The connection (held under the lock), every table's layout and the clock's now, for a read-only engine."""
        with self._db.lock:
            yield self._db.connection, MappingProxyType(self._layouts), self._clock()

    def changes(self, entity_set: str, select: tuple[str, ...] | None, token: str | None) -> queries.ChangePage:
        """Rows changed and ids deleted since ``token`` (None: every row); the page carries the next token."""
        layout = self._layout(entity_set)
        with self._db.lock:
            return queries.changes(self._db, layout, select, token, self._clock())

    # --- for the file store ------------------------------------------------------------------
    def locate(self, entity_set: str, ref: RecordRef) -> tuple[Layout, str]:
        """The table's layout and the record's id; 404 when the record does not exist."""
        return self._layout(entity_set), self._find_target(entity_set, ref)[1]

    def write_system(self, layout: Layout, record_id: str, values: dict[str, object]) -> None:
        """Write columns no request body may set (a file column and its name), as an update."""
        self._update(layout, record_id, Changes(dict(values)))

    # --- internals ---------------------------------------------------------------------------
    def _parse(self, layout: Layout, body: dict) -> Changes:
        return parse_body(layout, body, self._find_target, self._layouts)

    def _insert_new(self, layout: Layout, changes: Changes) -> str:
        """Insert a created record, then point each record a collection-valued ``@odata.bind`` names at it."""
        record_id = self._insert(layout, changes, None)
        for navigation, target in changes.links:
            links.relate(
                self._db.connection,
                self._layouts,
                layout,
                record_id,
                navigation,
                target,
                remove=False,
                update=self._update,
            )
        return record_id

    def _find_target(self, entity_set: str, ref: RecordRef) -> tuple[str, str]:
        layout = self._layout(entity_set)
        where, params = ref_where(layout, ref)
        row = self._db.connection.execute(
            f"SELECT {quote(layout.table.primary_id)} FROM {layout.sql_name} WHERE {where}", params
        ).fetchone()
        if row is None:
            raise rules.missing(layout, ref)
        return layout.table.logical_name, str(row[0])

    def _now(self) -> str:
        return self._clock().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _insert(self, layout: Layout, changes: Changes, record_id: str | None) -> str:
        table, values = layout.table, changes.values
        body_id = values.pop(table.primary_id, None)
        if body_id is not None and record_id is not None and body_id != record_id:
            raise bad_request(f"The {table.primary_id} in the body does not match the id in the URL.")
        record_id = record_id or body_id or str(uuid.uuid4())
        now = self._now()
        row = dict(layout.defaults)
        row.update(values)
        rules.compute_full_name(table, row, row)
        row.update(
            {
                table.primary_id: record_id,
                "createdon": row.get("overriddencreatedon") or now,
                "modifiedon": now,
                **rules.user_lookup("createdby"),
                **rules.user_lookup("modifiedby"),
            }
        )
        if "ownerid" in row and row["ownerid"] is None:
            row.update(rules.user_lookup("ownerid"))
        connection = self._db.connection
        try:
            if table.is_activity:
                connection.execute("INSERT INTO _activities VALUES (?, ?)", (record_id, table.logical_name))
            row["versionnumber"] = self._db.record_change(table.logical_name, record_id)
            connection.execute(layout.insert_sql, [row[name] for name in layout.sql_columns()])
        except sqlite3.IntegrityError:
            raise rules.duplicate(self._db.connection, layout, row) from None
        if changes.parties is not None:
            self._replace_parties(layout, record_id, changes.parties)
        return record_id

    def _update(self, layout: Layout, record_id: str, changes: Changes) -> None:
        table, values = layout.table, changes.values
        body_id = values.pop(table.primary_id, record_id)
        if body_id != record_id:
            raise bad_request(f"The {table.primary_id} in the body does not match the record being updated.")
        if table.logical_name in rules.FULL_NAME_TABLES and ({"firstname", "lastname"} & values.keys()):
            current = fetch_by_id(self._db.connection, layout, record_id)
            rules.compute_full_name(table, {**(dict(current) if current is not None else {}), **values}, values)
        values.update({"modifiedon": self._now(), **rules.user_lookup("modifiedby")})
        values["versionnumber"] = self._db.record_change(table.logical_name, record_id)
        assignments = ", ".join(f"{quote(name)} = ?" for name in values)
        try:
            self._db.connection.execute(
                f"UPDATE {layout.sql_name} SET {assignments} WHERE {quote(table.primary_id)} = ?",
                [*values.values(), record_id],
            )
        except sqlite3.IntegrityError:
            raise rules.duplicate(self._db.connection, layout, {**values, table.primary_id: record_id}) from None
        if changes.parties is not None:
            self._replace_parties(layout, record_id, changes.parties)

    def _replace_parties(self, layout: Layout, activity_id: str, parties: list[dict[str, object]]) -> None:
        party_layout = self._layouts["activityparty"]
        connection = self._db.connection
        old = connection.execute(
            f"SELECT activitypartyid FROM {party_layout.sql_name} WHERE activityid = ?", (activity_id,)
        ).fetchall()
        for (party_id,) in old:
            connection.execute(f"DELETE FROM {party_layout.sql_name} WHERE activitypartyid = ?", (party_id,))
            self._db.record_change("activityparty", party_id, deleted=True)
        for party in parties:
            values = {**party, "activityid": activity_id, "activityid$type": layout.table.logical_name}
            self._insert(party_layout, Changes(values), None)
