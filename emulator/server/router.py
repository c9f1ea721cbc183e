"""The Web API dispatcher: one :class:`ApiRequest` in, one :class:`ApiResponse` out.

Socket-free, so the HTTP handler and ``$batch`` share it. Every response leaves with
``OData-Version: 4.0`` and a ``REQ_ID``; any :class:`ODataError` becomes Dataverse's JSON
error body, and anything unexpected a logged 500 with Dataverse's generic code.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from emulator.errors import ODataError
from emulator.odata import parse_query_options, parse_record_ref
from emulator.odata.options import refuse_options
from emulator.server import access, actions, batch, metadata_routes, records, refs_routes, security, send_email
from emulator.server.context import Service
from emulator.server.profiles import Profile, profile
from emulator.server.wire import (
    UNEXPECTED_CODE,
    ApiRequest,
    ApiResponse,
    Segment,
    error_response,
    json_response,
    split_path,
)

log = logging.getLogger(__name__)

_METADATA_SETS = {"EntityDefinitions", "RelationshipDefinitions", "GlobalOptionSetDefinitions"}
_PUBLISH_ACTIONS = {"PublishXml", "PublishAllXml"}
_OPTION_ACTIONS = {"InsertOptionValue", "UpdateOptionValue"}


class WebApi:
    """Routes requests below ``/api/data/vX.Y/`` to the record, metadata and batch handlers.

    ``profile`` (default: online) is the deployment played: its version answers
    ``RetrieveVersion()`` and its :meth:`~emulator.server.profiles.Profile.admit` refuses
    what that version lacks, inside ``$batch`` too.
    """

    def __init__(self, service: Service, deployment: Profile | None = None) -> None:
        self.service = service
        self.profile = deployment if deployment is not None else profile("online")

    def handle(self, request: ApiRequest) -> ApiResponse:
        try:
            response = self._route(request)
        except ODataError as error:
            response = error_response(error)
        except Exception:
            log.exception("unexpected failure handling %s %s", request.method, request.path.split("(")[0])
            response = error_response(ODataError(500, UNEXPECTED_CODE, "An unexpected error occurred."))
        return finish(response)

    def _route(self, request: ApiRequest) -> ApiResponse:
        segments = split_path(request.path)
        if not segments:
            return self._service_document(request)
        request = self.profile.admit(request, segments, self._table_keys(request, segments))
        request = replace(request, caller=security.identify(self.service, request))
        first = segments[0]
        if first.name == "$batch" and len(segments) == 1:
            return batch.execute(self.service, request, self.handle)
        if first.name == "$metadata":
            return metadata_routes.csdl_document(self.service, request, segments)
        if first.name == "WhoAmI" and len(segments) == 1:
            return self._whoami(request, first)
        if first.name == "RetrieveVersion" and len(segments) == 1:
            return self._version(request, first)
        if first.name in _METADATA_SETS:
            return metadata_routes.route(self.service, request, segments)
        if first.name in _PUBLISH_ACTIONS and first.ref is None and len(segments) == 1:
            return self._publish(request, first.name)
        if first.name in _OPTION_ACTIONS and first.ref is None and len(segments) == 1:
            return self._option_value(request, first.name)
        if first.name in access.NAMES and len(segments) == 1:
            return access.route(self.service, request, first)
        if first.name in actions.NAMES and len(segments) == 1:
            return actions.route(self.service, request, first)
        if _is_add_privileges(segments):
            return self._add_privileges(request, segments[0])
        if send_email.matches(segments):
            return send_email.route(self.service, request, segments)
        if refs_routes.is_ref(segments):
            return refs_routes.route(self.service, request, segments)
        return records.route(self.service, request, segments)

    def _service_document(self, request: ApiRequest) -> ApiResponse:
        if request.method != "GET":
            raise records.method_not_allowed(request, "GET")
        refuse_options(request.params(), "the service document")
        sets = sorted(t.entity_set_name for t in self.service.store.tables.values())
        return json_response(
            200,
            {
                "@odata.context": f"{request.service_root}$metadata",
                "value": [{"name": name, "kind": "EntitySet", "url": name} for name in sets],
            },
        )

    def _whoami(self, request: ApiRequest, segment: Segment) -> ApiResponse:
        if request.method != "GET":
            raise records.method_not_allowed(request, "GET")
        if segment.ref not in (None, ""):
            raise ODataError(400, "0x80060888", "WhoAmI takes no parameters.")
        refuse_options(request.params(), "the WhoAmI function")
        return json_response(
            200,
            {
                "@odata.context": f"{request.service_root}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                **security.whoami(self.service, request),
            },
        )

    def _add_privileges(self, request: ApiRequest, role: Segment) -> ApiResponse:
        """``POST roles(<id>)/Microsoft.Dynamics.CRM.AddPrivilegesRole`` (:mod:`emulator.server.security`)."""
        if request.method != "POST":
            raise records.method_not_allowed(request, "POST")
        ref = parse_record_ref(role.ref or "")
        record = self.service.store.retrieve("roles", ref, parse_query_options({"$select": "name"}))
        security.add_privileges(self.service, str(record["roleid"]), request.json_object())
        return ApiResponse(204)

    def _version(self, request: ApiRequest, segment: Segment) -> ApiResponse:
        if request.method != "GET":
            raise records.method_not_allowed(request, "GET")
        if segment.ref not in (None, ""):
            raise ODataError(400, "0x80060888", "RetrieveVersion takes no parameters.")
        refuse_options(request.params(), "the RetrieveVersion function")
        return json_response(
            200,
            {
                "@odata.context": f"{request.service_root}$metadata#Microsoft.Dynamics.CRM.RetrieveVersionResponse",
                "Version": self.profile.version,
            },
        )

    def _table_keys(self, request: ApiRequest, segments: list[Segment]) -> tuple[str, int] | None:
        """The table of a ``POST EntityDefinitions(...)/Keys`` and how many alternate keys it has."""
        if self.profile.features.max_alternate_keys is None:
            return None  # no limit to check (online): leave the keys' Pending reporting untouched
        if (
            request.method != "POST"
            or len(segments) != 2
            or segments[0].name != "EntityDefinitions"
            or segments[0].ref is None
            or segments[1] != Segment("Keys")
        ):
            return None
        self.service.catalog.activate_due_keys()  # so the table below already holds the keys that activated
        table = self.service.catalog.table(segments[0].ref)
        return table.logical_name, len(self.service.catalog.keys(table))

    def _publish(self, request: ApiRequest, action: str) -> ApiResponse:
        if request.method != "POST":
            raise records.method_not_allowed(request, "POST")
        if action == "PublishXml":
            body = request.json_object()
            if not isinstance(body.get("ParameterXml"), str) or "<importexportxml" not in body["ParameterXml"].lower():
                raise ODataError(
                    400, "0x80040203", "PublishXml needs a 'ParameterXml' string holding <importexportxml>."
                )
        elif request.body:
            request.json_body()
        self.service.catalog.publish()
        return ApiResponse(204)

    def _option_value(self, request: ApiRequest, action: str) -> ApiResponse:
        if request.method != "POST":
            raise records.method_not_allowed(request, "POST")
        value = self.service.catalog.change_option_value(action, request.json_object())
        if action == "UpdateOptionValue":
            return ApiResponse(204)
        return json_response(
            200,
            {
                "@odata.context": f"{request.service_root}$metadata#Microsoft.Dynamics.CRM.InsertOptionValueResponse",
                "NewOptionValue": value,
            },
        )


def _is_add_privileges(segments: list[Segment]) -> bool:
    return (
        len(segments) == 2
        and segments[0].name == "roles"
        and segments[0].ref is not None
        and segments[1] == Segment("Microsoft.Dynamics.CRM.AddPrivilegesRole")
    )


def finish(response: ApiResponse) -> ApiResponse:
    """Add the headers every Dataverse response carries."""
    names = {name.lower() for name, _ in response.headers}
    if "odata-version" not in names:
        response.headers.append(("OData-Version", "4.0"))
    if "req_id" not in names:
        response.headers.append(("REQ_ID", str(uuid.uuid4())))
    return response
