"""Create or update the suite's tables, columns, relationships and keys in an environment.

``apply_schema`` serves X-01 (an administrator provisions or upgrades the schema
without importing a zip) and the demo. It reads what exists, creates what is
missing, ``PUT``s what changed (labels, descriptions, required level, wider
lengths or ranges, with ``MSCRM.MergeLabels: true``), adds missing choice
values, never deletes, and publishes the tables it touched. A second run sends
no write and its report says so. Every metadata write carries
``MSCRM.SolutionUniqueName`` so the components land in the suite's solution.
Standard tables are never created, only extended with ``comms_`` columns.

Errors are the client's typed errors (``connectors.dataverse.errors``); a 429
is retried by the client per its policy, anything else stops the run with what
was done so far in ``ApplyReport``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from connectors.dataverse import schema_diff as diff
from connectors.dataverse.errors import BadResponseError, DuplicateKeyError, NotFoundError, ValidationError
from dataverse_schema import global_option_sets
from dataverse_schema.model import (
    OPTION_VALUE_PREFIX,
    PUBLISHER_DISPLAY_NAME,
    PUBLISHER_PREFIX,
    PUBLISHER_UNIQUE_NAME,
    SOLUTION_UNIQUE_NAME,
    Column,
    ColumnType,
    OptionSet,
    Table,
)
from dataverse_schema.webapi import (
    attribute_metadata,
    entity_metadata,
    global_option_set_metadata,
    is_creatable,
    key_metadata,
    relationship_metadata,
)

log = logging.getLogger(__name__)

Json = dict[str, Any]
READ_HEADERS = {"Consistency": "Strong"}
TABLE_SELECT = "MetadataId,LogicalName,SchemaName,DisplayName,DisplayCollectionName,Description,IsActivity"
KEY_SELECT = "LogicalName,SchemaName,KeyAttributes,EntityKeyIndexStatus"


class MetadataClient(Protocol):
    """The one client method apply uses (``DataverseClient.request``)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response: ...


@dataclass
class ApplyReport:
    """What a run did (or, with ``dry_run``, would do), one line per component."""

    solution: str
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        verb = "would " if self.dry_run else ""
        out = [f"{verb}create {item}" for item in self.created]
        out += [f"{verb}update {item}" for item in self.updated]
        out += [f"warning: {item}" for item in self.warnings]
        if self.published:
            out.append("published " + ", ".join(self.published))
        if not self.changed:
            out.append(f"schema is up to date in solution {self.solution}: nothing changed")
        return out


@dataclass
class _Existing:
    """A table as the environment reports it."""

    metadata: Mapping[str, Any]
    attributes: dict[str, Mapping[str, Any]]
    keys: dict[str, Mapping[str, Any]]


def apply_schema(
    client: MetadataClient,
    tables: Iterable[Table],
    *,
    solution: str = SOLUTION_UNIQUE_NAME,
    publish: bool = True,
    dry_run: bool = False,
    option_sets: Iterable[OptionSet] | None = None,
) -> ApplyReport:
    """Bring ``tables`` (and the global choices) into the environment behind ``client``.

    Idempotent: a second run issues only reads. ``dry_run`` issues only reads and
    reports what a real run would do. Raises the client's typed errors
    (``ThrottledError`` after the client's own retries, ``PrivilegeError`` when the
    application user may not customise, ``ValidationError`` when Dataverse refuses
    a definition).
    """
    applier = _Applier(client, ApplyReport(solution=solution, dry_run=dry_run))
    wanted = [t for t in tables if t.is_custom or t.custom_columns or t.keys]
    applier.ensure_solution()
    for options in global_option_sets() if option_sets is None else option_sets:
        applier.ensure_option_set(options)
    existing = {t.logical_name: applier.read(t) for t in wanted}
    for t in wanted:
        if existing[t.logical_name] is None:
            existing[t.logical_name] = applier.create_table(t)
    for t in wanted:
        current = existing[t.logical_name]
        if current is None:
            continue  # a standard table the environment lacks: reported by create_table
        applier.sync_table(t, current)
        applier.sync_columns(t, current)
        applier.sync_keys(t, current)
    if publish and not dry_run:
        applier.publish()
    return applier.report


class _Applier:
    def __init__(self, client: MetadataClient, report: ApplyReport):
        self.client = client
        self.report = report
        self.touched: list[str] = []
        self.touched_option_sets: list[str] = []
        self.write_headers = {"MSCRM.SolutionUniqueName": report.solution}

    # -- solution and publisher ------------------------------------------------------------------

    def ensure_solution(self) -> None:
        publisher = self._first(
            "publishers",
            "uniquename",
            PUBLISHER_UNIQUE_NAME,
            "publisherid,uniquename,customizationprefix,customizationoptionvalueprefix",
        )
        if publisher is None:
            publisher_ref = self._create_publisher()
        else:
            publisher_ref = f"/publishers({publisher['publisherid']})"
            if publisher.get("customizationprefix") != PUBLISHER_PREFIX:
                self.report.warnings.append(
                    f"publisher {PUBLISHER_UNIQUE_NAME} has prefix {publisher.get('customizationprefix')!r}, "
                    f"the schema uses {PUBLISHER_PREFIX!r}"
                )
        if self._first("solutions", "uniquename", self.report.solution, "solutionid,uniquename") is None:
            self.report.created.append(f"solution {self.report.solution}")
            if not self.report.dry_run:
                self._post(
                    "solutions",
                    {
                        "uniquename": self.report.solution,
                        "friendlyname": self.report.solution,
                        "version": "1.0.0.0",
                        "publisherid@odata.bind": publisher_ref,
                        "description": "Telephony, SMS and fax for Dataverse.",
                    },
                    solution_header=False,
                )

    def _create_publisher(self) -> str:
        self.report.created.append(f"publisher {PUBLISHER_UNIQUE_NAME}")
        if self.report.dry_run:
            return "/publishers(00000000-0000-0000-0000-000000000000)"
        response = self._post(
            "publishers",
            {
                "uniquename": PUBLISHER_UNIQUE_NAME,
                "friendlyname": PUBLISHER_DISPLAY_NAME,
                "customizationprefix": PUBLISHER_PREFIX,
                "customizationoptionvalueprefix": OPTION_VALUE_PREFIX,
                "description": "Publisher of the CommSuite solution.",
            },
            solution_header=False,
        )
        entity_id = response.headers.get("OData-EntityId") or response.headers.get("Location") or ""
        return "/publishers(" + entity_id.rsplit("(", 1)[-1].rstrip(")") + ")"

    def _first(self, entity_set: str, column: str, value: str, select: str) -> Mapping[str, Any] | None:
        quoted = value.replace("'", "''")
        response = self.client.request(
            "GET", entity_set, params={"$select": select, "$filter": f"{column} eq '{quoted}'"}, headers=READ_HEADERS
        )
        rows = _json(response).get("value") or []
        return rows[0] if rows else None

    # -- global option sets ----------------------------------------------------------------------

    def ensure_option_set(self, options: OptionSet) -> None:
        try:
            self.client.request("GET", f"GlobalOptionSetDefinitions(Name='{options.name}')", headers=READ_HEADERS)
            return
        except NotFoundError:
            pass
        self.report.created.append(f"choice {options.name}")
        self.touched_option_sets.append(str(options.name))
        self._write("POST", "GlobalOptionSetDefinitions", global_option_set_metadata(options))

    # -- tables ----------------------------------------------------------------------------------

    def read(self, table: Table) -> _Existing | None:
        try:
            response = self.client.request(
                "GET",
                f"EntityDefinitions(LogicalName='{table.logical_name}')",
                params={"$select": TABLE_SELECT, "$expand": f"Attributes,Keys($select={KEY_SELECT})"},
                headers=READ_HEADERS,
            )
        except NotFoundError:
            return None
        body = _json(response)
        attributes = {a["LogicalName"]: a for a in body.get("Attributes") or () if "LogicalName" in a}
        keys = {k["LogicalName"]: k for k in body.get("Keys") or () if "LogicalName" in k}
        return _Existing(body, attributes, keys)

    def create_table(self, table: Table) -> _Existing | None:
        if not table.is_custom:
            self.report.warnings.append(f"standard table {table.logical_name} is missing from the environment")
            return None
        self.report.created.append(f"table {table.logical_name}")
        self._touch(table)
        self._write("POST", "EntityDefinitions", entity_metadata(table), idempotent=False)
        primary = table.primary_name
        return _Existing({}, {primary: {"LogicalName": primary}}, {})

    def sync_table(self, table: Table, current: _Existing) -> None:
        if not table.is_custom or not current.metadata:
            return
        wanted = entity_metadata(table)
        changes = diff.entity_changes(wanted, current.metadata)
        if not changes:
            return
        self.report.updated.append(f"table {table.logical_name} ({', '.join(changes)})")
        self._touch(table)
        body = {k: v for k, v in wanted.items() if k != "Attributes"}
        body["LogicalName"] = table.logical_name
        if current.metadata.get("MetadataId"):
            body["MetadataId"] = current.metadata["MetadataId"]
        self._write("PUT", f"EntityDefinitions(LogicalName='{table.logical_name}')", body, merge_labels=True)

    # -- columns ---------------------------------------------------------------------------------

    def sync_columns(self, table: Table, current: _Existing) -> None:
        existing_choices = [
            c
            for c in table.columns
            if is_creatable(table, c) and c.type is ColumnType.PICKLIST and c.logical_name in current.attributes
        ]
        options = self._read_options(table) if existing_choices else {}
        if options is None:
            existing_choices = []
        for column in table.columns:
            if not is_creatable(table, column):
                continue
            actual = current.attributes.get(column.logical_name)
            if actual is None:
                self._create_column(table, column)
            else:
                self._update_column(table, column, actual)
                if column in existing_choices and column.options is not None and not column.options.is_global:
                    wanted = attribute_metadata(column)["OptionSet"]["Options"]
                    self._sync_options(table, column, wanted, options.get(column.logical_name, []))

    def _read_options(self, table: Table) -> dict[str, list[Mapping[str, Any]]] | None:
        """Every local choice column's values, in one read per table; None when refused."""
        try:
            response = self.client.request(
                "GET",
                f"EntityDefinitions(LogicalName='{table.logical_name}')/Attributes"
                "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
                params={"$select": "LogicalName", "$expand": "OptionSet($select=Options)"},
                headers=READ_HEADERS,
            )
        except (ValidationError, NotFoundError) as exc:
            self.report.warnings.append(f"choice values of {table.logical_name} not compared: {exc.message}")
            return None
        return {
            a["LogicalName"]: (a.get("OptionSet") or {}).get("Options") or []
            for a in _json(response).get("value") or ()
            if "LogicalName" in a
        }

    def _create_column(self, table: Table, column: Column) -> None:
        self._touch(table)
        if column.type is ColumnType.LOOKUP:
            body = relationship_metadata(table, column)
            self.report.created.append(
                f"relationship {body['SchemaName']} ({table.logical_name}.{column.logical_name} → {column.targets[0]})"
            )
            self._write("POST", "RelationshipDefinitions", body, idempotent=False)
            return
        self.report.created.append(f"column {table.logical_name}.{column.logical_name}")
        self._write(
            "POST",
            f"EntityDefinitions(LogicalName='{table.logical_name}')/Attributes",
            attribute_metadata(column),
            idempotent=False,
        )

    def _update_column(self, table: Table, column: Column, actual: Mapping[str, Any]) -> None:
        name = f"{table.logical_name}.{column.logical_name}"
        wanted = attribute_metadata(column)
        if diff.type_mismatch(wanted, actual):
            self.report.warnings.append(
                f"column {name} is {actual.get('AttributeType')} in the environment, "
                f"{wanted['AttributeType']} in the schema; left as it is"
            )
            return
        for prop in diff.narrowed(wanted, actual):
            self.report.warnings.append(
                f"column {name}: schema {prop} is narrower than the environment's; left as it is"
            )
        changes = diff.attribute_changes(wanted, actual)
        if changes:
            self.report.updated.append(f"column {name} ({', '.join(changes)})")
            self._touch(table)
            body = dict(wanted, LogicalName=column.logical_name)
            body.pop("OptionSet", None)  # choice values change through Insert/UpdateOptionValue
            if actual.get("MetadataId"):
                body["MetadataId"] = actual["MetadataId"]
            self._write("PUT", _attribute_path(table, column), body, merge_labels=True)

    def _sync_options(self, table: Table, column: Column, wanted: list[Json], options: list[Mapping[str, Any]]) -> None:
        missing, relabelled = diff.option_changes(wanted, options)
        name = f"{table.logical_name}.{column.logical_name}"
        for option in missing:
            self.report.created.append(f"choice value {name}={option['Value']}")
            self._option_action("InsertOptionValue", table, column, option, merge=False)
        for option in relabelled:
            self.report.updated.append(f"choice value {name}={option['Value']} (Label)")
            self._option_action("UpdateOptionValue", table, column, option, merge=True)

    def _option_action(self, action: str, table: Table, column: Column, option: Json, *, merge: bool) -> None:
        self._touch(table)
        body = {
            "EntityLogicalName": table.logical_name,
            "AttributeLogicalName": column.logical_name,
            "Value": option["Value"],
            "Label": option["Label"],
            "SolutionUniqueName": self.report.solution,
        }
        if merge:
            body["MergeLabels"] = True
        self._write("POST", action, body, idempotent=False)

    # -- keys ------------------------------------------------------------------------------------

    def sync_keys(self, table: Table, current: _Existing) -> None:
        for key in table.keys:
            actual = current.keys.get(key.logical_name)
            if actual is None:
                self.report.created.append(f"key {table.logical_name}.{key.logical_name} ({', '.join(key.columns)})")
                self._write(
                    "POST",
                    f"EntityDefinitions(LogicalName='{table.logical_name}')/Keys",
                    key_metadata(key),
                    idempotent=False,
                )
                continue
            if sorted(actual.get("KeyAttributes") or ()) != sorted(key.columns):
                self.report.warnings.append(
                    f"key {table.logical_name}.{key.logical_name} has columns {actual.get('KeyAttributes')} in "
                    f"the environment, {list(key.columns)} in the schema; keys are never changed by apply"
                )
            if actual.get("EntityKeyIndexStatus") in ("Failed", 3):
                self.report.warnings.append(
                    f"key {table.logical_name}.{key.logical_name}: index creation failed (duplicate values?)"
                )

    # -- publishing ------------------------------------------------------------------------------

    def publish(self) -> None:
        if not self.touched and not self.touched_option_sets:
            return
        entities = "".join(f"<entity>{name}</entity>" for name in self.touched)
        option_sets = "".join(f"<optionset>{name}</optionset>" for name in self.touched_option_sets)
        xml = (
            f"<importexportxml><entities>{entities}</entities><optionsets>{option_sets}</optionsets></importexportxml>"
        )
        self.client.request("POST", "PublishXml", json={"ParameterXml": xml}, idempotent=True)
        self.report.published = list(self.touched)
        log.info("published %d tables", len(self.touched))

    # -- plumbing --------------------------------------------------------------------------------

    def _touch(self, table: Table) -> None:
        if table.logical_name not in self.touched:
            self.touched.append(table.logical_name)

    def _post(self, path: str, body: Json, *, solution_header: bool = True) -> requests.Response:
        headers = self.write_headers if solution_header else None
        return self.client.request("POST", path, json=body, headers=headers, idempotent=False)

    def _write(
        self, method: str, path: str, body: Json, *, merge_labels: bool = False, idempotent: bool | None = None
    ) -> None:
        if self.report.dry_run:
            return
        headers = dict(self.write_headers)
        if merge_labels:
            headers["MSCRM.MergeLabels"] = "true"
        try:
            self.client.request(
                method,
                path,
                json=body,
                headers=headers,
                idempotent=(method == "PUT") if idempotent is None else idempotent,
            )
        except DuplicateKeyError:
            # Created by an earlier run whose reply was lost, or by someone else meanwhile.
            log.info("%s %s: already exists", method, path)


def _attribute_path(table: Table, column: Column) -> str:
    return f"EntityDefinitions(LogicalName='{table.logical_name}')/Attributes(LogicalName='{column.logical_name}')"


def _json(response: requests.Response) -> Json:
    """The JSON object of a metadata reply; anything else is a ``BadResponseError``."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise BadResponseError(
            "metadata reply is not a JSON object",
            status=response.status_code,
            raw=response.text,
            operation="schema.apply",
        )
    return body
