"""Create, update, upsert and delete: Dataverse's semantics, status codes and messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.errors import ODataError
from emulator.odata import QueryOptions, parse_query_options, parse_record_ref
from emulator.store import APP_USER_ID, Store

from .store_tables import SMS_STATUS, all_tables, guid

NONE = QueryOptions()
PENDING, SENT = SMS_STATUS.options[0].value, SMS_STATUS.options[1].value


def ref(text: str):
    return parse_record_ref(text)


def get(store: Store, entity_set: str, key: str, **options) -> dict:
    return store.retrieve(entity_set, ref(key), parse_query_options(options))


def error_of(call, *args, **kwargs) -> ODataError:
    with pytest.raises(ODataError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_create_fills_what_dataverse_maintains(store):
    record_id = store.create("contacts", {"fullname": "Ann", "birthdate": "1980-05-01T10:00:00+02:00"})
    record = get(store, "contacts", record_id)
    assert record["contactid"] == record_id and record["@odata.etag"] == f'W/"{record["versionnumber"]}"'
    assert record["birthdate"] == "1980-05-01T08:00:00Z"
    assert record["createdon"] == record["modifiedon"] == "2024-05-01T12:30:15Z"
    assert record["_ownerid_value"] == record["_createdby_value"] == APP_USER_ID
    assert record["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "systemuser"
    assert (record["statecode"], record["statuscode"], record["donotphone"]) == (0, 1, False)


def test_activity_defaults_and_column_defaults(store):
    record = get(store, "phonecalls", store.create("phonecalls", {"subject": "call"}))
    assert (record["statecode"], record["statuscode"], record["directioncode"]) == (0, 1, True)
    sms = get(store, "comms_smses", store.create("comms_smses", {"subject": "hi"}))
    assert sms["comms_status"] == PENDING


def test_client_supplied_id_is_honoured_and_duplicates_refused(store):
    assert store.create("accounts", {"accountid": guid(7).upper(), "name": "A"}) == guid(7)
    error = error_of(store.create, "accounts", {"accountid": guid(7), "name": "B"})
    assert (error.status, error.code, error.message) == (412, "0x80040237", "Cannot insert duplicate key.")


def test_activities_share_one_id_space(store):
    store.create("comms_smses", {"activityid": guid(1), "subject": "sms"})
    error = error_of(store.create, "phonecalls", {"activityid": guid(1), "subject": "call"})
    assert (error.status, error.code) == (412, "0x80040237")
    assert error_of(get, store, "phonecalls", guid(1)).status == 404


def test_duplicate_alternate_key_is_the_real_duplicate_error(store):
    store.create("accounts", {"name": "A", "accountnumber": "ABC"})
    error = error_of(store.create, "accounts", {"name": "B", "accountnumber": "abc"})  # keys ignore case
    assert (error.status, error.code) == (412, "0x80060892")
    assert "AccountNumberKey" in error.message


def test_patch_to_a_missing_id_creates_it_then_updates_it(store):
    assert store.upsert("contacts", ref(guid(3)), {"fullname": "New"}, if_match=None, if_none_match=None) == (
        guid(3),
        True,
    )
    assert store.upsert("contacts", ref(guid(3)), {"fullname": "Renamed"}, if_match=None, if_none_match="null") == (
        guid(3),
        False,
    )
    assert get(store, "contacts", guid(3))["fullname"] == "Renamed"


def test_upsert_by_alternate_key_creates_once(store):
    key = ref("comms_providermessageid='m-1'")
    record_id, created = store.upsert("comms_smses", key, {"subject": "a"}, if_match=None, if_none_match=None)
    again, created_again = store.upsert("comms_smses", key, {"comms_status": SENT}, if_match=None, if_none_match=None)
    record = get(store, "comms_smses", "comms_providermessageid='m-1'")
    assert (created, created_again, again) == (True, False, record_id)
    assert (record["subject"], record["comms_providermessageid"], record["comms_status"]) == ("a", "m-1", SENT)


def test_key_with_a_lookup_part(store):
    account = store.create("accounts", {"name": "A"})
    key = ref(f"_comms_accountid_value={account},comms_extension=201")
    line_id, created = store.upsert("comms_lines", key, {"comms_name": "x"}, if_match=None, if_none_match=None)
    record = get(store, "comms_lines", line_id)
    assert created and record["_comms_accountid_value"] == account and record["comms_extension"] == 201
    assert record["_comms_accountid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "account"


@pytest.mark.parametrize(
    "key, status, code, message",
    [
        (guid(9), 404, "0x80040217", f"contact With Id = {guid(9)} Does Not Exist"),
        (f"contactid={guid(9)}", 404, "0x80040217", f"contact With Id = {guid(9)} Does Not Exist"),
    ],
)
def test_if_match_star_on_missing_is_404_and_creates_nothing(store, key, status, code, message):
    error = error_of(store.upsert, "contacts", ref(key), {"fullname": "x"}, if_match="*", if_none_match=None)
    assert (error.status, error.code, error.message) == (status, code, message)
    assert store.query("contacts", NONE, page_size=10, skiptoken=None).rows == []


def test_if_match_star_on_missing_alternate_key(store):
    error = error_of(store.update, "accounts", ref("accountnumber='nope'"), {"name": "x"}, must_exist=True)
    assert (error.status, error.code) == (404, "0x80060891")
    assert error.message == "A record with the specified key values does not exist in account entity"


def test_if_none_match_star_on_existing_is_412(store):
    store.create("accounts", {"name": "A", "accountnumber": "K"})
    error = error_of(
        store.upsert, "accounts", ref("accountnumber='K'"), {"name": "B"}, if_match=None, if_none_match="*"
    )
    assert (error.status, error.code, error.message) == (
        412,
        "0x80040237",
        "A record with matching key values already exists.",
    )
    assert get(store, "accounts", "accountnumber='K'")["name"] == "A"


def test_if_match_etag_is_optimistic_concurrency(store):
    record_id = store.create("accounts", {"name": "A"})
    etag = get(store, "accounts", record_id)["@odata.etag"]
    store.update("accounts", ref(record_id), {"name": "B"}, must_exist=True)
    stale = error_of(store.upsert, "accounts", ref(record_id), {"name": "C"}, if_match=etag, if_none_match=None)
    assert (stale.status, stale.code) == (412, "0x80060882")
    fresh = get(store, "accounts", record_id)["@odata.etag"]
    assert store.upsert("accounts", ref(record_id), {"name": "C"}, if_match=fresh, if_none_match=None)[1] is False
    assert error_of(store.delete, "accounts", ref(record_id), if_match=etag).status == 412


def test_key_columns_in_the_body_must_match_the_url(store):
    key = ref("accountnumber='K1'")
    assert store.upsert("accounts", key, {"accountnumber": "K1", "name": "A"}, if_match=None, if_none_match=None)[1]
    error = error_of(store.upsert, "accounts", key, {"accountnumber": "K2"}, if_match=None, if_none_match=None)
    assert (error.status, error.code) == (400, "0x80040203")


@pytest.mark.parametrize("key", ["name='A'", "accountnumber='K',name='A'", "accountid='not-a-guid'", "accountnumber=5"])
def test_keys_that_are_not_declared_are_refused(store, key):
    error = error_of(get, store, "accounts", key)
    assert error.status == 400
    assert (
        error.message.startswith(
            "The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.account'"
        )
        or "Edm.String" in error.message
    )


def test_update_with_must_exist_false_upserts(store):
    assert store.update("accounts", ref(guid(4)), {"name": "A"}, must_exist=False) == guid(4)


def test_delete_then_missing(store):
    record_id = store.create("accounts", {"name": "A"})
    store.delete("accounts", ref(record_id))
    error = error_of(store.delete, "accounts", ref(record_id))
    assert (error.status, error.code) == (404, "0x80040217")


def test_deleting_a_record_clears_lookups_to_it(store):
    parent = store.create("contacts", {"fullname": "P"})
    child = store.create("contacts", {"fullname": "C", "parentcustomerid_contact@odata.bind": f"/contacts({parent})"})
    version = get(store, "contacts", child)["versionnumber"]
    store.delete("contacts", ref(parent))
    record = get(store, "contacts", child)
    assert record["_parentcustomerid_value"] is None and record["versionnumber"] > version


def test_binds_resolve_by_id_and_by_key(store):
    account = store.create("accounts", {"name": "A", "accountnumber": "K"})
    contact = store.create("contacts", {"fullname": "C"})
    sms_id = store.create(
        "comms_smses",
        {
            "subject": "s",
            "comms_ContactId@odata.bind": f"/contacts({contact})",
            "regardingobjectid_account_comms_sms@odata.bind": "accounts(accountnumber='K')",
            "ownerid@odata.bind": f"https://org.crm.dynamics.com/api/data/v9.2/systemusers({APP_USER_ID})",
        },
    )
    record = get(store, "comms_smses", sms_id)
    assert record["_comms_contactid_value"] == contact and record["_regardingobjectid_value"] == account
    assert record["_regardingobjectid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] == (
        "regardingobjectid_account_comms_sms"
    )
    store.update("comms_smses", ref(sms_id), {"comms_ContactId@odata.bind": None}, must_exist=True)
    assert get(store, "comms_smses", sms_id)["_comms_contactid_value"] is None


@pytest.mark.parametrize(
    "body, status, code, fragment",
    [
        (
            {"comms_ContactId@odata.bind": f"/contacts({guid(5)})"},
            404,
            "0x80040217",
            f"contact With Id = {guid(5)} Does Not Exist",
        ),
        (
            {"comms_contactid@odata.bind": f"/contacts({guid(5)})"},
            400,
            "0x80060888",
            "An undeclared property 'comms_contactid' which only has property annotations in the payload",
        ),
        ({"comms_ContactId@odata.bind": f"/accounts({guid(5)})"}, 404, "0x80040217", "account With Id"),
        ({"comms_ContactId@odata.bind": f"/nosuch({guid(5)})"}, 404, "0x8006088a", "segment 'nosuch'"),
        ({"comms_ContactId@odata.bind": "contacts"}, 400, "0x80060888", "is not a reference"),
        ({"comms_ContactId@odata.bind": [f"/contacts({guid(5)})"]}, 501, "0x80060888", "binding"),
        ({"comms_ContactId": [{"fullname": "deep"}]}, 400, "0x80060888", "'comms_ContactId' is single-valued"),
        (
            {"comms_ContactId": {"nosuch": 1}},
            400,
            "0x80060888",
            "does not exist on type 'Microsoft.Dynamics.CRM.contact'",
        ),
        (
            {"nosuch": 1},
            400,
            "0x80060888",
            "The property 'nosuch' does not exist on type 'Microsoft.Dynamics.CRM.comms_sms'.",
        ),
        ({"_comms_contactid_value": guid(5)}, 400, "0x80060888", "does not exist on type"),
        ({"to": "x"}, 400, "0x80060888", "does not exist on type"),
        ({"createdon": "2024-01-01T00:00:00Z"}, 400, "0x80060888", "maintained by Dataverse"),
        (
            {"subject": "x" * 201},
            400,
            "0x80044331",
            "A validation error occurred.  The length of the 'subject' attribute of the 'comms_sms' entity "
            "exceeded the maximum allowed length of '200'.",
        ),
        (
            {"comms_status": 7},
            400,
            "0x8004431a",
            "The value 7 of 'comms_status' on record of type 'comms_sms' is outside the valid range. Accepted Values: ",
        ),
        ({"comms_tags": "103710000,5"}, 400, "0x8004431a", "The value 5"),
        ({"comms_status": "1"}, 400, "0x80060888", "Cannot convert the literal '1' to the expected type 'Edm.Int32'"),
        ({"comms_status": True}, 400, "0x80060888", "Edm.Int32"),
        ({"subject": 5}, 400, "0x80060888", "Edm.String"),
        ({"subject": "a\x00b"}, 400, "0x80060888", "NUL"),
        ({"activityid": "nope"}, 400, "0x80060888", "Edm.Guid"),
        ({"@odata.type": "Microsoft.Dynamics.CRM.contact"}, 400, "0x80060888", "does not match"),
        ({"comms_sms_activity_parties": {}}, 400, "0x80060888", "JSON array"),
        (
            {"comms_sms_activity_parties": [{"participationtypemask": 99, "addressused": "x"}]},
            400,
            "0x80060888",
            "participationtypemask",
        ),
        ({"comms_sms_activity_parties": [{"participationtypemask": 2}]}, 400, "0x80060888", "addressused"),
        (
            {
                "comms_sms_activity_parties": [
                    {"participationtypemask": 2, "partyid_contact@odata.bind": f"/accounts({guid(5)})"}
                ]
            },
            404,
            "0x80040217",
            "account With Id",
        ),
    ],
)
def test_bad_bodies_are_refused_in_dataverse_words(store, body, status, code, fragment):
    store.create("accounts", {"accountid": guid(6), "name": "A"})
    error = error_of(store.create, "comms_smses", {"subject": "s", **body})
    assert (error.status, error.code) == (status, code)
    assert fragment in error.message
    assert store.query("comms_smses", NONE, page_size=10, skiptoken=None).rows == []


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"numberofchildren": 100}, "outside the valid range"),
        ({"numberofchildren": 2**40}, "outside the valid range"),
        ({"birthdate": "yesterday"}, "Edm.DateTimeOffset"),
        ({"donotphone": 1}, "Edm.Boolean"),
        ({"fullname": ["a"]}, "Edm.String"),
    ],
)
def test_contact_values_are_type_checked(store, body, fragment):
    assert fragment in error_of(store.create, "contacts", body).message


def test_parties_are_stored_replaced_and_deleted(store):
    contact = store.create("contacts", {"fullname": "C"})
    sms_id = store.create(
        "comms_smses",
        {
            "subject": "s",
            "comms_sms_activity_parties": [
                {"partyid_systemuser@odata.bind": f"/systemusers({APP_USER_ID})", "participationtypemask": 1},
                {"partyid_contact@odata.bind": f"/contacts({contact})", "participationtypemask": 2},
            ],
        },
    )
    options = parse_query_options({"$filter": f"_activityid_value eq {sms_id}", "$orderby": "participationtypemask"})

    def parties():
        rows = store.query("activityparties", options, page_size=10, skiptoken=None).rows
        return [(r["participationtypemask"], r["_partyid_value"], r["addressused"]) for r in rows]

    assert parties() == [(1, APP_USER_ID, None), (2, contact, None)]
    store.update(
        "comms_smses",
        ref(sms_id),
        {"comms_sms_activity_parties": [{"addressused": "+989121234567", "participationtypemask": 2}]},
        must_exist=True,
    )
    assert parties() == [(2, None, "+989121234567")]
    store.delete("comms_smses", ref(sms_id))
    assert parties() == []


def test_change_set_rolls_back_as_a_whole(store):
    with pytest.raises(ODataError), store.transaction():
        store.create("accounts", {"name": "A", "accountnumber": "K"})
        store.create("accounts", {"name": "B", "accountnumber": "K"})
    assert store.query("accounts", NONE, page_size=10, skiptoken=None).rows == []


def test_a_failed_operation_inside_a_transaction_undoes_only_itself(store):
    with store.transaction():
        store.create("accounts", {"name": "A", "accountnumber": "K"})
        error_of(store.create, "accounts", {"name": "B", "accountnumber": "K"})
        store.create("accounts", {"name": "C"})
    names = sorted(r["name"] for r in store.query("accounts", NONE, page_size=10, skiptoken=None).rows)
    assert names == ["A", "C"]


JSON_VALUES = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.lists(st.integers(), max_size=2)
)
BODY_NAMES = st.sampled_from(
    [
        "subject",
        "comms_status",
        "comms_tags",
        "comms_providermessageid",
        "activityid",
        "comms_ContactId@odata.bind",
        "regardingobjectid_contact_comms_sms@odata.bind",
        "comms_sms_activity_parties",
        "@odata.type",
        "x",
        "createdon",
        "statecode",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(BODY_NAMES, JSON_VALUES, max_size=4))
def test_any_body_is_stored_or_refused_with_an_odata_error(body):
    store = Store(":memory:", all_tables())
    try:
        record_id = store.create("comms_smses", body)
    except ODataError as error:
        assert 400 <= error.status < 600
    else:
        assert get(store, "comms_smses", record_id)["activityid"] == record_id
    finally:
        store.close()


def test_a_new_record_in_a_single_valued_navigation_property_is_created_and_bound(store):
    sms_id = store.create("comms_smses", {"subject": "s", "comms_ContactId": {"fullname": "Deep"}})
    contact_id = get(store, "comms_smses", sms_id)["_comms_contactid_value"]
    assert get(store, "contacts", contact_id)["fullname"] == "Deep"
