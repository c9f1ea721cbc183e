"""``$ref`` routes: associate and disassociate records by reference.

As Microsoft Learn's "Associate and disassociate table rows using the Web API" describes:

- ``POST <set>(<id>)/<collection nav>/$ref`` with ``{"@odata.id": "<url of the other record>"}``
  adds the other record to the collection: a pair of a many-to-many relationship, or the
  other record's lookup of a one-to-many one. 204.
- ``DELETE <set>(<id>)/<collection nav>(<other id>)/$ref`` or
  ``DELETE <set>(<id>)/<collection nav>/$ref?$id=<url of the other record>`` removes it. 204.
- ``PUT <set>(<id>)/<single-valued nav>/$ref`` with ``{"@odata.id": ...}`` sets a lookup;
  ``DELETE <set>(<id>)/<single-valued nav>/$ref`` clears it. 204.

Reading references (``GET .../$ref``) is a 501 naming it.
"""

from __future__ import annotations

from emulator.errors import bad_request, not_supported
from emulator.odata import parse_record_ref
from emulator.server.context import Service
from emulator.server.records import method_not_allowed
from emulator.server.wire import ApiRequest, ApiResponse, Segment, not_found_segment
from emulator.store.collections import resolve_collection
from emulator.store.schema import resolve_navigation

_REF = Segment("$ref")


def is_ref(segments: list[Segment]) -> bool:
    """Whether the path addresses a reference (ends in ``/$ref``)."""
    return len(segments) > 1 and segments[-1] == _REF


def route(service: Service, request: ApiRequest, segments: list[Segment]) -> ApiResponse:
    if len(segments) != 3 or segments[0].ref is None:
        raise not_found_segment(str(segments[min(len(segments) - 1, 2)]) if len(segments) > 3 else "$ref")
    entity_set, ref_text = segments[0].name, segments[0].ref
    navigation = segments[1]
    if request.method == "GET":
        raise not_supported("reading references with GET .../$ref; read the navigation property instead")
    layout = service.store.layouts[service.store.table_for_set(entity_set).logical_name]
    if resolve_navigation(layout, navigation.name) is not None:
        return _single_valued(service, request, entity_set, ref_text, navigation)
    record = parse_record_ref(ref_text)
    if request.method == "POST" and navigation.ref is None:
        _reject_options(request)
        service.store.relate(entity_set, record, navigation.name, _odata_id(request), remove=False)
        return ApiResponse(204)
    if request.method == "DELETE":
        params = request.params()
        if navigation.ref is not None:
            _reject_options(request)
            other = f"{_target_set(service, entity_set, navigation.name)}({navigation.ref})"
        elif set(params) == {"$id"}:
            other = params["$id"]
        else:
            raise bad_request(
                f"Name the record to remove: DELETE {entity_set}(<id>)/{navigation.name}(<id>)/$ref "
                "or .../$ref?$id=<record URL>."
            )
        service.store.relate(entity_set, record, navigation.name, other, remove=True)
        return ApiResponse(204)
    raise method_not_allowed(request, "POST or DELETE")


def _single_valued(
    service: Service, request: ApiRequest, entity_set: str, ref_text: str, navigation: Segment
) -> ApiResponse:
    if navigation.ref is not None:
        raise bad_request(f"'{navigation.name}' is a single-valued navigation property; it takes no key.")
    _reject_options(request)
    if request.method == "PUT":
        value: str | None = _odata_id(request)
    elif request.method == "DELETE":
        value = None
    else:
        raise method_not_allowed(request, "PUT or DELETE")
    service.store.update(
        entity_set, parse_record_ref(ref_text), {f"{navigation.name}@odata.bind": value}, must_exist=True
    )
    return ApiResponse(204)


def _odata_id(request: ApiRequest) -> str:
    value = request.json_object().get("@odata.id")
    if not isinstance(value, str) or not value:
        raise bad_request(
            "The request body must be a JSON object with an '@odata.id' naming the record, "
            'like {"@odata.id": "<service root>/contacts(<id>)"}.'
        )
    return value


def _target_set(service: Service, entity_set: str, navigation: str) -> str:
    layouts = service.store.layouts
    collection = resolve_collection(layouts, layouts[service.store.table_for_set(entity_set).logical_name], navigation)
    if collection is None:
        raise not_found_segment(navigation)
    return collection.target.table.entity_set_name


def _reject_options(request: ApiRequest) -> None:
    if request.params():
        raise bad_request("A $ref request takes no query options here.")
