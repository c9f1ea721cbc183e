"""A bulk's placeholders reach the records related to its members, read as its owner (SMS-08, -12; issue 12, §2).

The paths, checks and words are a single SMS's (:mod:`services.sms.compose`); the
reads are a step's (:mod:`domain.sms.bulk_related` plans them):

- when a run starts, :func:`template_paths` reads the shapes of the member tables and
  of every table their lookups lead to (metadata, once per worker), so each step
  selects exactly the columns its paths read, and :func:`secured_paths` names those
  that are column-secured, hop columns included (the bulk is paused unless its
  template allows them);
- per step, :func:`fill_members` reads each hop's related records with one query per
  related table (100 ids a request), as the bulk's owner
  (:func:`services.sms.bulk.rights.owner_client`), so a bulk of 10,000 members costs
  per step what a bulk of 10 does. A related record the owner may not read (or one
  deleted since) fails the members that lead to it with a single SMS's words; an owner
  who may not read a related table at all pauses the bulk with Dataverse's words, as does
  a column Dataverse refuses to read (never retried unchanged, run after run).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from connectors.dataverse import DataverseClient, PrivilegeError, ValidationError
from domain.sms.bulk import Filled, Member
from domain.sms.bulk_related import PathColumn, TemplatePaths, fill_step, path_columns
from domain.sms.related import MAX_HOPS, Known, TableShape
from domain.sms.templates import Template
from services.sms.bulk.reads import read_by_ids
from services.sms.bulk.rights import owner_client
from services.sms.bulk.run_state import StopRun
from services.sms.bulk.store import BulkRecord, BulkStore
from services.sms.rows import field_value
from services.sms.template_access import SecuredField

UNRESOLVED = "the template's related fields could not be resolved"


def template_paths(store: BulkStore, template: Template, member_tables: Collection[str]) -> TemplatePaths:
    """Walk ``template``'s paths from each member table through the metadata; raises the client's errors."""
    shapes: dict[str, TableShape] = {}
    found: list[PathColumn] = []
    for table in sorted(member_tables):
        columns, needs = path_columns(template, table, shapes)
        while needs:  # each round adds at least one table, so the walk ends
            for needed in sorted(needs):
                shapes[needed] = store.table_shape(needed)
            columns, needs = path_columns(template, table, shapes)
        found.extend(columns)
    unique = tuple(dict.fromkeys(found))
    return TemplatePaths(unique, shapes)


def secured_paths(store: BulkStore, paths: TemplatePaths) -> list[SecuredField]:
    """Every path that reads or follows a column whose metadata says ``IsSecured``, in path order."""
    return sorted(
        (SecuredField(c.path, c.table, c.column) for c in paths.columns if c.column in store.secured_columns(c.table)),
        key=lambda field: (field.path, field.table, field.column),
    )


def fill_members(
    store: BulkStore, bulk: BulkRecord, template: Template, members: Sequence[Member], paths: TemplatePaths
) -> dict[tuple[str, str], Filled]:
    """Every member's placeholder values (or why it fails), reading one hop of related records at a time."""
    known = Known(shapes=dict(paths.shapes))
    unreadable: set[tuple[str, str]] = set()
    filled: dict[tuple[str, str], Filled] = {}
    pending = list(members)
    for _ in range(2 * MAX_HOPS + 2):
        step = fill_step(template, pending, known, unreadable)
        filled.update(step.filled)
        pending = [member for member in pending if member.key not in step.filled]
        if not pending:
            break
        for table in sorted(step.reads.shapes):
            known.shapes[table] = store.table_shape(table)
        for table, ids in sorted(step.reads.records.items()):
            rows = _related(store, bulk, table, sorted(ids), paths.select(table))
            for record_id in ids:
                row = rows.get(record_id.lower())
                if row is None:
                    unreadable.add((table, record_id))
                else:
                    known.records[(table, record_id)] = row
    filled.update({member.key: Filled(error=UNRESOLVED) for member in pending})
    return {key: _typed(fill) for key, fill in filled.items()}


def _related(
    store: BulkStore, bulk: BulkRecord, table: str, ids: Sequence[str], select: Collection[str]
) -> dict[str, dict]:
    reader: DataverseClient = owner_client(store.client, bulk)
    try:
        names = store.table_names(table)
        return read_by_ids(reader, names.entity_set, names.primary_id, ids, select)
    except PrivilegeError as exc:
        if reader is store.client:
            raise
        raise StopRun(
            f"the bulk's owner may not read the {table} records its template names: {exc.message}", "Paused"
        ) from exc
    except ValidationError as exc:  # a column the metadata lists but the Web API will not read
        raise StopRun(
            f"Dataverse refused to read the {table} columns the bulk's template names: {exc.message}", "Paused"
        ) from exc


def _typed(fill: Filled) -> Filled:
    """Date and date-time text as dates, as a single SMS fills them (:func:`services.sms.rows.field_value`)."""
    if fill.error is not None:
        return fill
    return Filled({path: field_value(value) for path, value in fill.fields.items()})
