"""One schema run's link to the environment: strong reads, writes into the suite's solution, and its report (X-01).

Reads ask for ``Consistency: Strong`` so a run sees what the previous one wrote.
Every metadata write carries ``MSCRM.SolutionUniqueName`` and is skipped on a dry
run; a ``POST`` that finds the component already there (an earlier run whose
reply was lost, or someone else meanwhile) is not an error. The tables and
global choices a run touched are published at its end
(:func:`connectors.dataverse.schema_apply.apply_schema`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from connectors.dataverse.errors import BadResponseError, DuplicateKeyError
from dataverse_schema.model import Table

log = logging.getLogger(__name__)

Json = dict[str, Any]
READ_HEADERS = {"Consistency": "Strong"}


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
        """True when the run created or updated anything."""
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        """The report in words, one line per component, then the warnings and what was published."""
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
class ExistingTable:
    """A table as the environment reports it: its metadata, attributes and keys by logical name."""

    metadata: Mapping[str, Any]
    attributes: dict[str, Mapping[str, Any]]
    keys: dict[str, Mapping[str, Any]]


class ApplySession:
    """The client, the report and the tables and global choices touched, of one run."""

    def __init__(self, client: MetadataClient, report: ApplyReport):
        self.client = client
        self.report = report
        self.touched: list[str] = []
        self.touched_option_sets: list[str] = []
        self.write_headers = {"MSCRM.SolutionUniqueName": report.solution}

    def touch(self, table: Table) -> None:
        """Note ``table`` for publishing."""
        if table.logical_name not in self.touched:
            self.touched.append(table.logical_name)

    def first(self, entity_set: str, column: str, value: str, select: str) -> Mapping[str, Any] | None:
        """The first row of ``entity_set`` whose ``column`` is ``value``, or ``None``."""
        quoted = value.replace("'", "''")
        response = self.client.request(
            "GET", entity_set, params={"$select": select, "$filter": f"{column} eq '{quoted}'"}, headers=READ_HEADERS
        )
        rows = read_json(response).get("value") or []
        return rows[0] if rows else None

    def post(self, path: str, body: Json, *, solution_header: bool = True) -> requests.Response:
        """A ``POST`` sent whatever ``dry_run`` says (callers check it); in the solution unless told otherwise."""
        headers = self.write_headers if solution_header else None
        return self.client.request("POST", path, json=body, headers=headers, idempotent=False)

    def write(
        self, method: str, path: str, body: Json, *, merge_labels: bool = False, idempotent: bool | None = None
    ) -> None:
        """A metadata write in the suite's solution; nothing on a dry run; "already exists" is not an error."""
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


def read_json(response: requests.Response) -> Json:
    """The JSON object of a metadata reply; anything else is a ``BadResponseError``."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        body = None
    if not isinstance(body, dict):
        raise BadResponseError(
            "metadata reply is not a JSON object",
            status=response.status_code,
            raw=response.text,
            operation="schema.apply",
        )
    return body
