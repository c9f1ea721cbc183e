"""Table definitions changed over the Web API, applied to the store and kept across restarts.

Each metadata change (``POST EntityDefinitions``, ``.../Attributes``, ``.../Keys``,
``RelationshipDefinitions``, ``GlobalOptionSetDefinitions``, ``PUT``, ``DELETE``) is checked,
applied to the store with ``Store.install`` (``redefine`` / ``uninstall`` for deletes) and
appended to the journal beside the database (:mod:`emulator.server.metadata_journal`); on start
the journal is replayed through the same code. A new alternate key stays ``Pending`` for a
while (:mod:`emulator.server.metadata_keys`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataverse_schema.model import (
    AlternateKey,
    Column,
    ManyToManyRelationship,
    OptionSet,
    Relationship,
    Table,
)
from emulator.errors import DUPLICATE, ODataError
from emulator.metadata import invalid
from emulator.metadata.columns import column_from_metadata, option_set_from_metadata
from emulator.metadata.relationships import many_to_many_from_metadata, relationship_from_metadata, updated_relationship
from emulator.metadata.tables import key_from_metadata, table_from_metadata, updated_table
from emulator.server import metadata_checks as checks
from emulator.server import metadata_choices as choices
from emulator.server import metadata_deletes as deletes
from emulator.server import metadata_refs as refs
from emulator.server import metadata_render as render
from emulator.server.metadata_journal import MetadataJournal
from emulator.server.metadata_keys import PendingKeys, check_new_key
from emulator.server.metadata_render import metadata_id
from emulator.server.metadata_versions import MetadataVersions

if TYPE_CHECKING:
    from emulator.store import Store

_JOURNALLED = {
    "create_table",
    "update_table",
    "add_column",
    "update_column",
    "create_relationship",
    "update_relationship",
    "create_many_to_many",
    "create_option_set",
    "change_option_value",
    "delete_table",
    "delete_column",
    "delete_key",
    "delete_relationship",
}


class MetadataCatalog:
    """The emulator's table definitions: read by reference, changed over the Web API, journalled and replayed."""

    def __init__(
        self,
        store: Store,
        journal: Path | None,
        *,
        key_activation_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._journal = MetadataJournal(journal)
        self._record = self._journal.record
        self._lock = threading.RLock()
        self._option_sets: dict[str, OptionSet] = {}
        self._pending = PendingKeys(key_activation_s, clock)
        #: Columns a customizer added to a table over the Web API (custom whatever the table).
        self._added: set[tuple[str, str]] = set()
        self.versions = MetadataVersions()
        self.publish_count = 0
        self._journal.replay(self._apply)

    # --- reads ---------------------------------------------------------------------------------
    def tables(self) -> list[Table]:
        return sorted(self._store.tables.values(), key=lambda t: t.logical_name)

    def table(self, ref_text: str) -> Table:
        return refs.find_table(self._store.tables.values(), ref_text)

    def keys(self, table: Table) -> list[tuple[AlternateKey, str]]:
        """Every key of ``table`` with its index status; reporting a Pending key moves it along."""
        with self._lock:
            self.activate_due_keys()
            active = [(key, "Active") for key in table.keys]
            return active + [(key, "Pending") for key in self._pending.report(table.logical_name)]

    def option_sets(self) -> list[OptionSet]:
        return sorted(self._option_sets.values(), key=lambda s: s.name or "")

    def option_set(self, bind: str) -> OptionSet:
        """A global option set from ``/GlobalOptionSetDefinitions(<id>)`` or ``(Name='x')``."""
        return refs.find_option_set(self._option_sets.values(), bind)

    def relationships(self) -> list[Relationship]:
        return [rel for table in self.tables() for rel in table.relationships]

    # --- changes -------------------------------------------------------------------------------
    def create_table(self, body: dict[str, Any]) -> Table:
        with self._lock:
            table = table_from_metadata(body, self.option_set)
            checks.check_new_table(table, self._store.tables)
            self._install(table)
            self._record("create_table", body=body)
            return table

    def update_table(self, ref_text: str, body: dict[str, Any]) -> Table:
        with self._lock:
            table = updated_table(self.table(ref_text), body)
            self._install(table)
            self._record("update_table", ref_text=ref_text, body=body)
            return table

    def add_column(self, table_ref: str, body: dict[str, Any]) -> tuple[Table, Column]:
        with self._lock:
            table = self.table(table_ref)
            column = column_from_metadata(body, self.option_set)
            checks.check_new_column(table, column)
            self._install(replace(table, columns=(*table.columns, column)))
            self._added.add((table.logical_name, column.logical_name))
            self._record("add_column", table_ref=table_ref, body=body)
            return self.table(table_ref), column

    def update_column(self, table_ref: str, column_ref: str, body: dict[str, Any]) -> Column:
        with self._lock:
            table = self.table(table_ref)
            old = self.column(table, column_ref)
            new = checks.updated_column(old, body, self.option_set)
            self._install(replace(table, columns=tuple(new if c is old else c for c in table.columns)))
            self._record("update_column", table_ref=table_ref, column_ref=column_ref, body=body)
            return new

    def column(self, table: Table, ref_text: str) -> Column:
        return refs.find_column(table, ref_text)

    def create_relationship(self, body: dict[str, Any]) -> Relationship:
        with self._lock:
            relationship, lookup = relationship_from_metadata(body, self.option_set)
            referencing = self.table(f"LogicalName='{relationship.referencing}'")
            self.table(f"LogicalName='{relationship.referenced}'")
            checks.check_new_relationship(relationship, lookup, referencing, self._relationship_names())
            self._install(
                replace(
                    referencing,
                    columns=(*referencing.columns, lookup),
                    relationships=(*referencing.relationships, relationship),
                )
            )
            self._added.add((referencing.logical_name, lookup.logical_name))
            self._record("create_relationship", body=body)
            return relationship

    def update_relationship(self, ref_text: str, body: dict[str, Any]) -> Relationship:
        """``PUT RelationshipDefinitions(...)`` of a one-to-many relationship: its navigation property name
        and cascades change; what it relates cannot (Learn: "Update relationships")."""
        with self._lock:
            old = self._one_to_many(ref_text)
            checks.check_relationship_update(old, body)
            new = updated_relationship(old, body)
            referencing = self.table(f"LogicalName='{old.referencing}'")
            relationships = tuple(new if r is old else r for r in referencing.relationships)
            self._install(replace(referencing, relationships=relationships))
            self._record("update_relationship", ref_text=ref_text, body=body)
            return new

    def _one_to_many(self, ref_text: str) -> Relationship:
        return refs.find_one_to_many(self.relationships(), self.many_to_many(), ref_text)

    def _relationship_names(self) -> set[str]:
        return {r.schema_name for r in self.relationships()} | {r.schema_name for r in self.many_to_many()}

    def delete_relationship(self, ref_text: str) -> None:
        """``DELETE RelationshipDefinitions(...)`` of a custom one-to-many relationship: its lookup column goes too."""
        with self._lock:
            rel = self._one_to_many(ref_text)
            table = self.table(f"LogicalName='{rel.referencing}'")
            lookup = table.column(rel.lookup)
            others = [r for r in self.relationships() if r is not rel]
            keys = [key for key, _ in self.keys(table)]
            custom = render.is_custom_column(table, lookup, added=self.is_added(table, lookup))
            remaining = deletes.table_without_column(table, lookup, custom=custom, keys=keys, relationships=others)
            self._redefine(replace(remaining, relationships=tuple(r for r in table.relationships if r is not rel)))
            self._added.discard((table.logical_name, lookup.logical_name))
            self.versions.forget("Relationship", metadata_id("relationship", rel.schema_name))
            self._record("delete_relationship", ref_text=ref_text)

    def many_to_many(self) -> list[ManyToManyRelationship]:
        return list(self._store.many_to_many)

    def create_many_to_many(self, body: dict[str, Any]) -> ManyToManyRelationship:
        with self._lock:
            relationship = many_to_many_from_metadata(body)
            for name in (relationship.entity1, relationship.entity2):
                self.table(f"LogicalName='{name}'")
            checks.check_new_many_to_many(
                relationship, self._relationship_names(), self._store.tables, self.many_to_many()
            )
            self._store.install_many_to_many(relationship)
            self.versions.touch(relationship.entity1, relationship.entity2)
            self._record("create_many_to_many", body=body)
            return relationship

    def add_key(self, table_ref: str, body: dict[str, Any], *, replaying: bool = False) -> AlternateKey:
        with self._lock:
            table = self.table(table_ref)
            key = key_from_metadata(body)
            taken = {k.logical_name for k in table.keys} | self._pending.names(table.logical_name)
            check_new_key(table, key, taken)
            if replaying:
                self._install(replace(table, keys=(*table.keys, key)))
            else:
                self._pending.add(table.logical_name, key)
                self._record("add_key", table_ref=table_ref, body=body)
            return key

    def is_added(self, table: Table, column: Column) -> bool:
        """True for a column a customizer added over the Web API."""
        return (table.logical_name, column.logical_name) in self._added

    def delete_table(self, ref_text: str) -> None:
        """``DELETE EntityDefinitions(...)``: a custom table nothing else refers to, with its rows."""
        with self._lock:
            table = self.table(ref_text)
            deletes.check_table_delete(table, self.relationships(), self.many_to_many())
            self._store.uninstall(table.logical_name)
            self._pending.forget_table(table.logical_name)
            self._added = {pair for pair in self._added if pair[0] != table.logical_name}
            self.versions.changed.pop(table.logical_name, None)
            self.versions.forget("Entity", metadata_id("entity", table.logical_name))
            self._record("delete_table", ref_text=ref_text)

    def delete_column(self, table_ref: str, column_ref: str) -> None:
        """``DELETE EntityDefinitions(...)/Attributes(...)``: a custom column no key or relationship uses."""
        with self._lock:
            table = self.table(table_ref)
            column = self.column(table, column_ref)
            keys = [key for key, _ in self.keys(table)]
            custom = render.is_custom_column(table, column, added=self.is_added(table, column))
            remaining = deletes.table_without_column(
                table, column, custom=custom, keys=keys, relationships=self.relationships()
            )
            self._redefine(remaining)
            self._added.discard((table.logical_name, column.logical_name))
            self.versions.forget("Attribute", metadata_id("attribute", table.logical_name, column.logical_name))
            self._record("delete_column", table_ref=table_ref, column_ref=column_ref)

    def delete_key(self, table_ref: str, key_ref: str) -> None:
        """``DELETE EntityDefinitions(...)/Keys(...)``: an alternate key, Pending or Active, and its index."""
        with self._lock:
            table = self.table(table_ref)
            key = refs.find_key(table, [key for key, _ in self.keys(table)], key_ref)
            self.activate_due_keys()  # reported Pending keys are installed now, so the key is in table.keys
            self._redefine(deletes.table_without_key(self._store.tables[table.logical_name], key))
            self._record("delete_key", table_ref=table_ref, key_ref=key_ref)

    def activate_due_keys(self) -> None:
        if not self._pending:
            return
        with self._lock:
            for table_name, key in self._pending.take_due():
                table = self._store.tables[table_name]
                self._install(replace(table, keys=(*table.keys, key)))

    def create_option_set(self, body: dict[str, Any]) -> OptionSet:
        with self._lock:
            name = body.get("Name")
            if not isinstance(name, str) or not name:
                raise invalid("A global OptionSetMetadata needs a 'Name'.")
            if name in self._option_sets:
                raise ODataError(400, DUPLICATE, f"A global option set named '{name}' already exists.")
            option_set = option_set_from_metadata(body, name=name)
            self._option_sets[name] = option_set
            self._record("create_option_set", body=body)
            return option_set

    def change_option_value(self, action: str, body: dict[str, Any]) -> int:
        """``InsertOptionValue`` / ``UpdateOptionValue`` on a local or global choice; returns the value."""
        with self._lock:
            name = body.get("OptionSetName")
            if isinstance(name, str):
                current = self.option_set(f"Name='{name}'")
            else:
                table = self.table(f"LogicalName='{body.get('EntityLogicalName')}'")
                current = choices.local_choice(
                    table, self.column(table, f"LogicalName='{body.get('AttributeLogicalName')}'")
                )
            value, new = choices.changed_options(action, body, current, refs.not_found)
            self._replace_options(current, new, body)
            self._record("change_option_value", action=action, body=body)
            return value

    def _replace_options(self, old: OptionSet, new: OptionSet, body: dict[str, Any]) -> None:
        if old.is_global:
            self._option_sets[old.name or ""] = new
            targets = [
                (t, c) for t in self.tables() for c in t.columns if c.options is not None and c.options.name == old.name
            ]
        else:
            table = self.table(f"LogicalName='{body.get('EntityLogicalName')}'")
            targets = [(table, self.column(table, f"LogicalName='{body.get('AttributeLogicalName')}'"))]
        for table, column in targets:
            current = self._store.tables[table.logical_name]
            self._install(
                replace(
                    current,
                    columns=tuple(
                        replace(c, options=new) if c.logical_name == column.logical_name else c for c in current.columns
                    ),
                )
            )

    def publish(self) -> None:
        with self._lock:
            self.activate_due_keys()
            self.publish_count += 1

    # --- persistence ---------------------------------------------------------------------------
    def _install(self, table: Table) -> None:
        try:
            self._store.install(table)
        except ValueError as exc:
            raise invalid(str(exc)) from exc
        self.versions.touch(table.logical_name)

    def _redefine(self, table: Table) -> None:
        self._store.redefine(table)
        self.versions.touch(table.logical_name)

    def _apply(self, operation: str, arguments: dict[str, Any]) -> None:
        """One journalled change, replayed through the method that made it."""
        if operation == "add_key":
            self.add_key(arguments["table_ref"], arguments["body"], replaying=True)
        elif operation in _JOURNALLED:
            getattr(self, operation)(**arguments)
        else:
            raise ValueError(f"unknown operation {operation!r}")
