"""Request bodies for create / update / upsert, checked against the table.

Plain columns go by logical name; lookups as
``<NavigationProperty>@odata.bind: "/<set>(<id or key>)"`` (reference §1.4), existing records
related through a one-to-many collection-valued navigation property as
``<CollectionNavigation>@odata.bind: ["/<set>(<id>)", ...]`` on create (Learn, "Associate table
rows on create"; the store writes each record's lookup once the new record exists), activity
parties as ``<activity>_activity_parties: [...]`` (§4.6), new related records as a navigation
property's value (deep insert, :mod:`emulator.store.nested`; the store writes them). Anything
else is refused in Dataverse's words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from emulator.errors import bad_request, not_supported
from emulator.odata.refs import RecordRef, parse_entity_url
from emulator.store.builtin import PARTICIPATION_TYPES
from emulator.store.collections import CollectionNavigation, resolve_collection
from emulator.store.nested import NestedRows, nested_rows
from emulator.store.schema import READ_ONLY, Layout, is_file_data, resolve_navigation, type_column
from emulator.store.values import to_storage

#: Resolves a bound record: (entity set, reference) -> (target logical name, record id); raises 404.
FindTarget = Callable[[str, RecordRef], tuple[str, str]]
_BIND = "@odata.bind"


@dataclass
class Changes:
    """What a body asks to write: SQLite column -> storage value, the activity's parties if given, and the
    new related records of a deep insert."""

    values: dict[str, object] = field(default_factory=dict)
    parties: list[dict[str, object]] | None = None
    nested: list[NestedRows] = field(default_factory=list)
    #: Existing records a collection-valued ``@odata.bind`` relates to the new record: (navigation, (table, id)).
    links: list[tuple[str, tuple[str, str]]] = field(default_factory=list)


def parse_body(
    layout: Layout, body: object, find_target: FindTarget, layouts: Mapping[str, Layout] | None = None
) -> Changes:
    """Check ``body`` against the table and turn it into storage values.

    Raises ODataError 400 for unknown or read-only properties, wrong types,
    bad references and malformed new related records, 404 when a bound record
    does not exist, 501 for a collection bind of a many-to-many property (and for
    any collection bind or new related record when ``layouts`` is not given).
    """
    table = layout.table
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    changes = Changes()
    _refuse_mixed(body)
    for name, value in body.items():
        if name == "@odata.type":
            _check_type(layout, value)
        elif name.endswith(_BIND):
            _bind(layout, name[: -len(_BIND)], value, changes, find_target, layouts)
        elif name.startswith("@") or "@" in name:
            continue  # instance annotations (an echoed @odata.etag, formatted values) carry no data
        elif table.is_activity and name == f"{table.logical_name}_activity_parties":
            changes.parties = _parties(layout, value, find_target)
        elif name in READ_ONLY:
            raise bad_request(f"The property '{name}' is maintained by Dataverse and cannot be set.")
        elif is_file_data(table, name):
            raise bad_request(
                f"The file column property '{name}' cannot be set in a create or update; "
                "upload the file with PATCH <set>(<id>)/<file column>."
            )
        elif table.has_column(name) and _is_stored_plain(layout, name):
            changes.values[name] = to_storage(table, table.column(name), value)
        elif layouts is not None and (found := nested_rows(layouts, layout, name, value)) is not None:
            changes.nested.append(found)
        elif resolve_navigation(layout, name) is not None:
            raise not_supported(f"deep insert through the navigation property '{name}'; use {name}@odata.bind")
        else:
            raise bad_request(
                f"The property '{name}' does not exist on type 'Microsoft.Dynamics.CRM.{table.logical_name}'. "
                "Make sure to only use property names that are defined by the type or mark the type as open type."
            )
    _check_nested(changes)
    return changes


def _refuse_mixed(body: dict) -> None:
    """A navigation property is given as new records or as ``@odata.bind``, never both."""
    for name in body:
        if name.endswith(_BIND) and name[: -len(_BIND)] in body:
            navigation = name[: -len(_BIND)]
            raise bad_request(
                f"The navigation property '{navigation}' is given both as new records and as {name}; send one of them."
            )


def _check_nested(changes: Changes) -> None:
    """A lookup is set once: never both by a new record and by another navigation property."""
    set_by_new: set[str] = set()
    for item in changes.nested:
        column = item.lookup.logical_name
        if not item.single:
            continue
        if column in changes.values or column in set_by_new:
            raise bad_request(
                f"The lookup '{column}' is set twice: by the new record in '{item.navigation}' and by another "
                "navigation property; send one of them."
            )
        set_by_new.add(column)


def _is_stored_plain(layout: Layout, name: str) -> bool:
    return any(c.logical_name == name and not c.is_lookup for c in layout.stored)


def _check_type(layout: Layout, value: object) -> None:
    expected = f"Microsoft.Dynamics.CRM.{layout.table.logical_name}"
    if value not in (expected, "#" + expected):
        raise bad_request(f"The @odata.type '{value}' does not match the entity set's type '{expected}'.")


def _bind(
    layout: Layout,
    navigation: str,
    value: object,
    changes: Changes,
    find_target: FindTarget,
    layouts: Mapping[str, Layout] | None,
) -> None:
    found = resolve_navigation(layout, navigation)
    if found is None and layouts is not None and isinstance(value, list):
        collection = resolve_collection(layouts, layout, navigation)
        if collection is not None:
            changes.links.extend(_collection_bind(navigation, collection, value, find_target))
            return
    if found is None:
        raise bad_request(
            f"An undeclared property '{navigation}' which only has property annotations in the payload "
            "but no property value was found in the payload."
        )
    column, fixed_target = found
    if value is None:
        changes.values[column.logical_name] = None
        changes.values[type_column(column)] = None
        return
    if not isinstance(value, str):
        raise not_supported(f"binding '{navigation}' to anything but one record reference")
    entity_set, ref = parse_entity_url(value)
    target, record_id = find_target(entity_set, ref)
    allowed = (fixed_target,) if fixed_target else column.targets
    if allowed and target not in allowed:
        raise bad_request(
            f"The navigation property '{navigation}' cannot refer to a '{target}' record; "
            f"it accepts {', '.join(allowed)}."
        )
    changes.values[column.logical_name] = record_id
    changes.values[type_column(column)] = target


def _collection_bind(
    navigation: str, collection: CollectionNavigation, value: list, find_target: FindTarget
) -> list[tuple[str, tuple[str, str]]]:
    """The existing records ``<navigation>@odata.bind: [...]`` names, checked to be of the related table."""
    if collection.lookup is None:
        raise not_supported(
            f"binding records through the many-to-many navigation property '{navigation}' on create; "
            f"associate them with {navigation}/$ref"
        )
    related = collection.target.table.logical_name
    links = []
    for item in value:
        if not isinstance(item, str):
            example = f"/{collection.target.table.entity_set_name}(<id>)"
            raise bad_request(f"Each item of '{navigation}@odata.bind' must be a record URL such as \"{example}\".")
        target = find_target(*parse_entity_url(item))
        if target[0] != related:
            raise bad_request(f"The navigation property '{navigation}' relates '{related}' records, not '{target[0]}'.")
        links.append((navigation, target))
    return links


def _parties(layout: Layout, value: object, find_target: FindTarget) -> list[dict[str, object]]:
    if not isinstance(value, list):
        raise bad_request(f"'{layout.table.logical_name}_activity_parties' must be a JSON array of parties.")
    rows = []
    for party in value:
        if not isinstance(party, dict):
            raise bad_request("Each activity party must be a JSON object.")
        rows.append(_party(party, find_target))
    return rows


def _party(party: dict, find_target: FindTarget) -> dict[str, object]:
    mask = party.get("participationtypemask")
    if isinstance(mask, bool) or mask not in {o.value for o in PARTICIPATION_TYPES.options}:
        raise bad_request(f"An activity party needs a valid participationtypemask; got {mask!r}.")
    row: dict[str, object] = {"participationtypemask": mask, "partyid": None, "partyid$type": None, "addressused": None}
    for name, value in party.items():
        if name == "participationtypemask":
            continue
        if name == "addressused":
            if not isinstance(value, str) or len(value) > 320:
                raise bad_request("An activity party's addressused must be a string of at most 320 characters.")
            row["addressused"] = value
        elif name.startswith("partyid_") and name.endswith(_BIND) and isinstance(value, str):
            wanted = name[len("partyid_") : -len(_BIND)]
            target, record_id = find_target(*parse_entity_url(value))
            if target != wanted:
                raise bad_request(f"The navigation property '{name[: -len(_BIND)]}' cannot refer to a '{target}'.")
            row["partyid"], row["partyid$type"] = record_id, target
        else:
            raise bad_request(
                f"The property '{name}' does not exist on type 'Microsoft.Dynamics.CRM.activityparty'. "
                "Make sure to only use property names that are defined by the type or mark the type as open type."
            )
    if row["partyid"] is None and row["addressused"] is None:
        raise bad_request("An activity party needs a partyid_<table>@odata.bind or an addressused.")
    return row
