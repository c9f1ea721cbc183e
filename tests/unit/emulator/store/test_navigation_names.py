"""A lookup's navigation property is the name its relationship declares, exactly."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dataverse_schema.model import Relationship
from emulator.errors import ODataError
from emulator.odata import parse_record_ref
from emulator.store import Store

from .store_tables import account, contact, guid, sms


def _store(relationship: Relationship | None) -> Store:
    table = sms()
    if relationship is not None:
        table = replace(table, relationships=(relationship,))
    return Store(":memory:", (account(), contact(), table))


def _body(navigation: str) -> dict:
    return {"subject": "hello", f"{navigation}@odata.bind": f"/contacts({guid(1)})"}


DECLARED = Relationship("comms_contact_sms", "contact", "comms_sms", "comms_contactid", navigation="comms_contactid")


def test_declared_navigation_name_binds() -> None:
    store = _store(DECLARED)
    store.create("contacts", {"contactid": guid(1), "fullname": "Sara"})
    created = store.create("comms_smses", _body("comms_contactid"))
    record = store.retrieve("comms_smses", parse_record_ref(created), _no_options())
    assert record["_comms_contactid_value"] == guid(1)


@pytest.mark.parametrize("wrong", ["comms_ContactId", "COMMS_CONTACTID"])
def test_other_casings_of_a_declared_name_are_refused(wrong: str) -> None:
    store = _store(DECLARED)
    store.create("contacts", {"contactid": guid(1), "fullname": "Sara"})
    with pytest.raises(ODataError) as caught:
        store.create("comms_smses", _body(wrong))
    assert caught.value.status == 400


def test_without_a_declared_name_the_schema_name_is_the_navigation_property() -> None:
    store = _store(None)
    store.create("contacts", {"contactid": guid(1), "fullname": "Sara"})
    store.create("comms_smses", _body("comms_ContactId"))
    with pytest.raises(ODataError):
        store.create("comms_smses", _body("comms_contactid"))


def _no_options():
    from emulator.odata import parse_query_options

    return parse_query_options({})
