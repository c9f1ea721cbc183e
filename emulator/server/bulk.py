"""Collection-bound bulk actions: ``<set>/Microsoft.Dynamics.CRM.CreateMultiple`` and friends.

MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/bulk-operations.md: every target must carry
``@odata.type``; on a standard table
the whole request is one transaction; CreateMultiple answers 200 with ``{"Ids": [...]}``,
UpdateMultiple and UpsertMultiple answer 204. DeleteMultiple exists only for elastic
tables, which the emulator does not have.

Each request first spends its modelled server time (:mod:`emulator.server.limits`),
outside the store's transaction so parallel requests overlap as they do on the service;
one that would run past the request timeout fails and writes nothing.
"""

from __future__ import annotations

from typing import Any

from dataverse_schema.model import Table
from emulator.errors import ODataError, bad_request, segment_not_found
from emulator.odata import parse_query_options, parse_record_ref
from emulator.odata.options import refuse_options
from emulator.server.context import Service
from emulator.server.wire import UNEXPECTED_CODE, ApiRequest, ApiResponse, json_response

ACTIONS = ("CreateMultiple", "UpdateMultiple", "UpsertMultiple", "DeleteMultiple")


def route(service: Service, request: ApiRequest, table: Table, entity_set: str, action: str) -> ApiResponse:
    if action not in ACTIONS:
        raise segment_not_found(f"Microsoft.Dynamics.CRM.{action}")
    if request.method != "POST":
        raise ODataError(405, "0x80060888", f"The action {action} must be invoked with POST.")
    if action == "DeleteMultiple":
        raise ODataError(501, "0x80060888", "DeleteMultiple has not yet been implemented.")
    refuse_options(request.params(), f"the {action} action")
    targets = _targets(request.json_object(), table)
    if service.faults is not None:
        service.faults.spend_bulk_time(len(targets))
    with service.store.transaction():
        if action == "CreateMultiple":
            ids = [service.store.create(entity_set, target) for target in targets]
            return json_response(
                200,
                {
                    "@odata.context": f"{request.service_root}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse",
                    "Ids": ids,
                },
            )
        for index, target in enumerate(targets):
            if action == "UpdateMultiple":
                _update(service, table, entity_set, target, index)
            else:
                _upsert(service, table, entity_set, target, index)
    return ApiResponse(204)


def _targets(body: dict[str, Any], table: Table) -> list[dict[str, Any]]:
    targets = body.get("Targets")
    if not isinstance(targets, list) or not targets:
        raise bad_request("The request body must have a non-empty 'Targets' array.")
    unexpected = sorted(set(body) - {"Targets"})
    if unexpected:
        raise bad_request(f"Unexpected parameter(s) {', '.join(unexpected)}; the bulk actions take only 'Targets'.")
    expected = f"Microsoft.Dynamics.CRM.{table.logical_name}"
    cleaned = []
    for index, target in enumerate(targets):
        if not isinstance(target, dict):
            raise bad_request(f"Targets[{index}] must be a JSON object.")
        if target.get("@odata.type") != expected:
            raise bad_request(
                f'Targets[{index}] must carry "@odata.type": "{expected}"; got {target.get("@odata.type")!r}.'
            )
        cleaned.append({name: value for name, value in target.items() if name != "@odata.type"})
    return cleaned


def _update(service: Service, table: Table, entity_set: str, target: dict[str, Any], index: int) -> None:
    record_id = target.pop(table.primary_id, None)
    if not isinstance(record_id, str):
        raise bad_request(f"Targets[{index}] must include the primary key '{table.primary_id}' for UpdateMultiple.")
    service.store.update(entity_set, parse_record_ref(record_id), target, must_exist=True)


def _upsert(service: Service, table: Table, entity_set: str, target: dict[str, Any], index: int) -> None:
    address = target.pop("@odata.id", None)
    if address is not None:
        ref_text = _ref_in_address(address, entity_set, index)
        ref = parse_record_ref(ref_text)
        if ref.key and set(ref.key) & set(target) and not _exists(service, entity_set, ref):
            # Dataverse fails the create path this way when key columns repeat in the body
            # (MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/bulk-operations.md); emulating it
            # keeps clients honest.
            raise ODataError(400, UNEXPECTED_CODE, "An unexpected error occurred.")
    elif isinstance(target.get(table.primary_id), str):
        ref = parse_record_ref(target.pop(table.primary_id))
    else:
        raise bad_request(
            f'Targets[{index}] needs "@odata.id" (an alternate key such as '
            f"\"{entity_set}(key='value')\") or the primary key '{table.primary_id}' for UpsertMultiple."
        )
    service.store.upsert(entity_set, ref, target, if_match=None, if_none_match=None)


def _ref_in_address(address: object, entity_set: str, index: int) -> str:
    """The text between the parentheses of ``[.../]<set>(<ref>)``."""
    opening = address.find("(") if isinstance(address, str) else -1
    if (
        not isinstance(address, str)
        or opening == -1
        or not address.endswith(")")
        or address[address.rfind("/", 0, opening) + 1 : opening] != entity_set
    ):
        raise bad_request(
            f'Targets[{index}] "@odata.id" must address a record of {entity_set}, '
            f"such as \"{entity_set}(key='value')\"; got {address!r}."
        )
    return address[opening + 1 : -1]


def _exists(service: Service, entity_set: str, ref: Any) -> bool:
    try:
        service.store.retrieve(entity_set, ref, parse_query_options({}))
    except ODataError as error:
        if error.status == 404:
            return False
        raise
    return True
