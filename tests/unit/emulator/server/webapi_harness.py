"""A socket-free Web API over an in-memory store, for route tests: ``api.send("GET", "accounts")``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.server.catalog import MetadataCatalog
from emulator.server.context import Service
from emulator.server.router import WebApi
from emulator.server.tables import many_to_many_for, tables_for
from emulator.server.wire import ApiRequest, ApiResponse, Headers
from emulator.store import Store

ROOT = "https://emulator.test/api/data/v9.2/"


class Api:
    """One emulator (by default standard tables, no suite columns) answering requests in-process."""

    def __init__(self, schema: str = "standard", *, db: str | Path = ":memory:", journal: Path | None = None) -> None:
        self.store = Store(db, tables_for(schema))
        for relationship in many_to_many_for(self.store.tables):
            self.store.install_many_to_many(relationship)
        self.web = WebApi(Service(self.store, MetadataCatalog(self.store, journal)))

    def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        principal: str | None = None,
    ) -> ApiResponse:
        pairs = [("Authorization", "Bearer test"), *(headers or {}).items()]
        if json_body is not None:
            body = json.dumps(json_body).encode()
            pairs.append(("Content-Type", "application/json"))
        target, _, query = path.partition("?")
        request = ApiRequest(method, target, query, Headers(pairs), body, ROOT, principal=principal)
        return self.web.handle(request)


def payload(response: ApiResponse) -> Any:
    return json.loads(response.body)
