"""Record sharing as Dataverse does it (CALL-41): ``GrantAccess``, ``RevokeAccess`` and
``RetrieveSharedPrincipalsAndAccess``.

References: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/grantaccess,
.../revokeaccess and .../retrievesharedprincipalsandaccess. ``GrantAccess`` takes
``{"Target": {"@odata.type": "Microsoft.Dynamics.CRM.<table>", "<table>id": ...},
"PrincipalAccess": {"Principal": {"@odata.type": "Microsoft.Dynamics.CRM.systemuser", "systemuserid": ...},
"AccessMask": "ReadAccess, AppendToAccess"}}`` and answers 204; granting again adds rights to the share.
``RetrieveSharedPrincipalsAndAccess(Target=@t)?@t={"@odata.id":"phonecalls(<id>)"}`` answers
``{"PrincipalAccesses": [{"AccessMask": "ReadAccess", "Principal": {...}}]}``.

Shares live in the emulator's memory (``Service.shares``): a restarted emulator forgets them. A share with
``ReadAccess`` lets its user (or the members of its team) read the record when their role's read depth alone
would not (:mod:`emulator.server.security`); tests also read shares back through
``RetrieveSharedPrincipalsAndAccess``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from emulator.errors import ODataError, bad_request
from emulator.odata import parse_query_options, parse_record_ref
from emulator.server.context import Service
from emulator.server.wire import ApiRequest, ApiResponse, Segment, json_response, loads_payload

NAMES = frozenset({"GrantAccess", "RevokeAccess", "RetrieveSharedPrincipalsAndAccess"})
_TYPE = "Microsoft.Dynamics.CRM."
#: The rights a share may carry (AccessRights enumeration).
RIGHTS = (
    "ReadAccess",
    "WriteAccess",
    "AppendAccess",
    "AppendToAccess",
    "CreateAccess",
    "DeleteAccess",
    "ShareAccess",
    "AssignAccess",
)
Share = dict[tuple[str, str], set[str]]  # (principal table, principal id) -> rights


def route(service: Service, request: ApiRequest, segment: Segment) -> ApiResponse:
    """Dispatch one of :data:`NAMES`."""
    if segment.name == "RetrieveSharedPrincipalsAndAccess":
        if request.method != "GET":
            raise ODataError(405, "0x80060888", f"{segment.name} is a function: use GET.")
        return _retrieve(service, request, segment)
    if request.method != "POST" or segment.ref is not None:
        raise ODataError(405, "0x80060888", f"{segment.name} is an action: POST it with a JSON body.")
    body = _body(request)
    target = _target(service, body.get("Target"))
    shares = service.shares.setdefault(target, {})
    if segment.name == "GrantAccess":
        access = body.get("PrincipalAccess")
        if not isinstance(access, dict):
            raise bad_request("GrantAccess needs PrincipalAccess: {Principal, AccessMask}.")
        principal = _principal(access.get("Principal"))
        shares.setdefault(principal, set()).update(_rights(access.get("AccessMask")))
    else:
        shares.pop(_principal(body.get("Revokee")), None)
    return ApiResponse(204)


def _body(request: ApiRequest) -> dict[str, Any]:
    try:
        body = loads_payload(request.body or b"{}")
    except ValueError:
        raise bad_request("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    return body


def _target(service: Service, target: object) -> tuple[str, str]:
    if not isinstance(target, dict) or not str(target.get("@odata.type", "")).startswith(_TYPE):
        raise bad_request("Target must be an entity with @odata.type Microsoft.Dynamics.CRM.<table>.")
    logical = str(target["@odata.type"])[len(_TYPE) :]
    table = service.store.tables.get(logical)
    if table is None:
        raise bad_request(f"No table {logical!r}.")
    record_id = str(target.get(table.primary_id, "")).lower()
    service.store.retrieve(table.entity_set_name, parse_record_ref(record_id), parse_query_options({}))
    return logical, record_id


def _principal(principal: object) -> tuple[str, str]:
    if not isinstance(principal, dict):
        raise bad_request("Principal must be a systemuser or team entity.")
    logical = str(principal.get("@odata.type", ""))[len(_TYPE) :]
    if logical not in ("systemuser", "team"):
        raise bad_request("A share goes to a systemuser or a team.")
    record_id = str(principal.get(f"{logical}id", "")).lower()
    if not record_id:
        raise bad_request(f"Principal needs {logical}id.")
    return logical, record_id


def _rights(mask: object) -> set[str]:
    names = {part.strip() for part in str(mask or "").split(",") if part.strip()}
    unknown = names - set(RIGHTS)
    if not names or unknown:
        raise bad_request(f"AccessMask must name rights from {', '.join(RIGHTS)}.")
    return names


def _retrieve(service: Service, request: ApiRequest, segment: Segment) -> ApiResponse:
    name, _, value = (segment.ref or "").partition("=")
    params = request.params()
    if name.strip() != "Target" or not value.strip().startswith("@") or value.strip() not in params:
        raise bad_request("Use RetrieveSharedPrincipalsAndAccess(Target=@t)?@t={'@odata.id':'<set>(<id>)'}.")
    try:
        reference = json.loads(unquote(params[value.strip()]).replace("'", '"'))["@odata.id"]
        entity_set, _, rest = reference.partition("(")
        record_id = rest.rstrip(")").lower()
    except (ValueError, KeyError, TypeError, AttributeError):
        raise bad_request("The Target alias must be {'@odata.id': '<set>(<id>)'}.") from None
    table = next((t for t in service.store.tables.values() if t.entity_set_name == entity_set), None)
    if table is None:
        raise bad_request(f"No entity set {entity_set!r}.")
    target = _target(service, {"@odata.type": f"{_TYPE}{table.logical_name}", table.primary_id: record_id})
    accesses = [
        {
            "AccessMask": ", ".join(r for r in RIGHTS if r in rights),
            "Principal": {"@odata.type": f"#{_TYPE}{logical}", f"{logical}id": principal_id},
        }
        for (logical, principal_id), rights in sorted(service.shares.get(target, {}).items())
    ]
    return json_response(200, {"PrincipalAccesses": accesses})
