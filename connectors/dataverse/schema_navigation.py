"""Find and repair lookups whose navigation property an environment names differently from the model.

Earlier versions of ``commsuite schema apply`` created the suite's lookups with lower-case
navigation properties (``comms_smsproviderid``); the model, the solution zip and the runtime
now use the schema-name case (``comms_SmsProviderId``). Navigation property names are
case-sensitive, so in such an environment every ``@odata.bind`` the suite sends is refused.
:func:`navigation_mismatches` reads each relationship's ``ReferencingEntityNavigationPropertyName``;
:func:`repair_navigation` renames it with ``PUT RelationshipDefinitions(<id>)``, which Dataverse
allows for that property (MicrosoftDocs/powerapps-docs: developer/data-platform/webapi/
create-update-entity-relationships-using-web-api.md, "Update relationships": retrieve the
definition, change it, ``PUT`` it whole).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from connectors.dataverse.errors import BadResponseError, NotFoundError
from connectors.dataverse.schema_session import MetadataClient, read_json
from dataverse_schema.model import Table

_SELECT = "SchemaName,ReferencingAttribute,ReferencingEntityNavigationPropertyName,MetadataId"
_READ_HEADERS = {"Consistency": "Strong"}


@dataclass(frozen=True)
class NavigationMismatch:
    """One lookup whose navigation property the environment names otherwise than the model."""

    relationship: str
    table: str
    lookup: str
    found: str
    expected: str
    metadata_id: str

    @property
    def only_case(self) -> bool:
        """True for the old lower-case name (same letters, other case)."""
        return self.found.lower() == self.expected.lower()

    def line(self) -> str:
        """A plain sentence saying what is wrong and how to fix it."""
        what = "the lower-case name an earlier schema apply created" if self.only_case else "a different name"
        return (
            f"{self.table}.{self.lookup}: relationship {self.relationship} has navigation property "
            f"'{self.found}' ({what}); the suite binds '{self.expected}', so every write that sets this "
            "lookup is refused. Fix: commsuite schema apply --repair-navigation"
        )


def navigation_mismatches(client: MetadataClient, tables: Iterable[Table]) -> list[NavigationMismatch]:
    """Every relationship of ``tables`` whose navigation property differs from the model's (read only).

    A table or relationship the environment lacks is not a mismatch (``schema apply`` creates it).
    """
    found: list[NavigationMismatch] = []
    for table in tables:
        wanted = {rel.schema_name: rel for rel in table.relationships}
        if not wanted:
            continue
        try:
            response = client.request(
                "GET",
                f"EntityDefinitions(LogicalName='{table.logical_name}')/ManyToOneRelationships",
                params={"$select": _SELECT},
                headers=_READ_HEADERS,
            )
        except NotFoundError:
            continue
        for row in _rows(response):
            name, actual = row.get("SchemaName"), row.get("ReferencingEntityNavigationPropertyName")
            rel = wanted.get(name) if isinstance(name, str) else None
            if rel is None or not isinstance(actual, str) or actual == rel.referencing_navigation:
                continue
            if not isinstance(row.get("MetadataId"), str):
                raise BadResponseError(f"relationship {name} has no MetadataId", raw=repr(row)[:500])
            found.append(
                NavigationMismatch(
                    rel.schema_name,
                    table.logical_name,
                    rel.lookup,
                    actual,
                    rel.referencing_navigation,
                    row["MetadataId"],
                )
            )
    return found


def repair_navigation(client: MetadataClient, mismatch: NavigationMismatch, *, solution: str) -> None:
    """Rename the relationship's navigation property to the model's name (read, change, ``PUT`` whole)."""
    path = f"RelationshipDefinitions({mismatch.metadata_id})"
    definition = read_json(client.request("GET", path, headers=_READ_HEADERS))
    body = {name: value for name, value in definition.items() if not name.startswith("@odata.context")}
    body["ReferencingEntityNavigationPropertyName"] = mismatch.expected
    client.request("PUT", path, json=body, headers={"MSCRM.SolutionUniqueName": solution}, idempotent=True)


def _rows(response: Any) -> list[dict[str, Any]]:
    """The rows of a relationship listing; ``BadResponseError`` unless it is ``{"value": [{...}, ...]}``."""
    rows = read_json(response).get("value")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise BadResponseError("a relationship listing is not {'value': [objects]}", raw=repr(rows)[:500])
    return rows
