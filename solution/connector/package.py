"""Writes the connector folder paconn imports: ``apiDefinition.swagger.json`` and ``apiProperties.json`` (X-02)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solution.connector.definition import api_definition
from solution.connector.environment import environment
from solution.connector.properties import api_properties

DEFINITION_FILE = "apiDefinition.swagger.json"
PROPERTIES_FILE = "apiProperties.json"
FOLDER = "CommSuite-connector"


@dataclass(frozen=True)
class ConnectorPackage:
    """The two files of a connector, as JSON values."""

    definition: dict[str, Any]
    properties: dict[str, Any]

    def files(self) -> dict[str, bytes]:
        return {DEFINITION_FILE: _json(self.definition), PROPERTIES_FILE: _json(self.properties)}


def build_connector(org_url: str, client_id: str, version: str) -> ConnectorPackage:
    """The connector for the environment at ``org_url``; ``ValueError`` in plain words for a bad URL or id."""
    env = environment(org_url)
    return ConnectorPackage(api_definition(env, version), api_properties(env, client_id))


def write_connector(package: ConnectorPackage, directory: Path) -> Path:
    """Write ``<directory>/CommSuite-connector/`` (created or replaced file by file); returns the folder."""
    folder = directory / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in package.files().items():
        partial = folder / f".{name}.partial"
        partial.write_bytes(content)
        partial.replace(folder / name)
    return folder


def _json(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
