"""The feature-by-version table, version discovery and what the client does with it."""

from __future__ import annotations

import pytest
import requests
from responses import matchers

from connectors.dataverse import DataverseClient, NotSupportedError, StaticToken
from connectors.dataverse.batch import BatchResult
from connectors.dataverse.batch_continue import continue_after_failures
from connectors.dataverse.refs import AlternateKey
from dataverse_schema.versions import ChangeTracking, ServerVersion, features_for

ONPREM = "https://crm.contoso.com/ORG"


@pytest.mark.parametrize(
    "version, root, bulk, representation, tracking, online",
    [
        ("8.0.1.79", "v8.0", False, False, ChangeTracking.NONE, False),
        ("8.1.0.359", "v8.1", False, False, ChangeTracking.NONE, False),
        ("8.2.2.112", "v8.2", False, True, ChangeTracking.DELTA, False),
        ("9.0.2.3034", "v9.0", False, True, ChangeTracking.DELTA, False),
        ("9.1.0.17154", "v9.0", False, True, ChangeTracking.DELTA, False),
        ("9.2.24044.204", "v9.2", True, True, ChangeTracking.DELTA, True),
    ],
)
def test_each_version_has_its_features(version, root, bulk, representation, tracking, online):
    features = features_for(version)
    assert features.web_api_version == root and features.bulk_messages is bulk
    assert features.continue_on_error is online and features.app_notifications is online
    assert features.return_representation is representation and features.change_tracking is tracking
    assert features.max_alternate_keys == (None if online else 5)


def test_versions_parse_and_order():
    assert ServerVersion.parse(" 8.2 ") == ServerVersion(8, 2)
    assert ServerVersion.parse("9.1.0.17154") > ServerVersion.parse("9.0.99.1")
    assert str(ServerVersion.parse("9.1.0.17154")) == "9.1.0.17154"
    for bad in ("", "nine", "9"):
        with pytest.raises(ValueError):
            ServerVersion.parse(bad)
    with pytest.raises(ValueError, match="no Web API"):
        features_for("7.1.0.0")


@pytest.mark.parametrize(
    "value, unsafe",
    [
        ("sms-3f1c9a2e-8b1d-4a7e-9c55-0d6b2f4e7a10-1", ""),  # SMS attempt keys
        ("1712345678.123", ""),  # Asterisk uniqueid / linkedid
        ("smdr-0f3a9c", ""),  # SMDR call ids
        ("+989121234567", ""),  # opt-out numbers (E.164)
        ("rec:2026-01-01 10:00", ":"),
        ("a<b>*%&\\", "%&*<>\\"),
    ],
)
def test_key_values_that_break_on_premises_addressing(value, unsafe):
    assert features_for("9.1.0.0").unsafe_in_key(value) == unsafe
    assert features_for("9.2.0.0").unsafe_in_key(value) == ""


def onprem_client(api_version=None) -> DataverseClient:
    return DataverseClient(
        base_url=ONPREM,
        session=requests.Session(),
        token_provider=StaticToken("t"),
        api_version=api_version,
        retry=None,
    )


def test_the_root_is_read_from_an_8x_server_before_the_first_request(wire):
    wire.get(
        f"{ONPREM}/api/data/v9.0/RetrieveVersion()",
        status=404,
        json={"error": {"code": "0x0", "message": "Resource not found for the segment 'v9.0'."}},
    )
    wire.get(f"{ONPREM}/api/data/v8.0/RetrieveVersion()", json={"Version": "8.2.2.112"})
    wire.get(f"{ONPREM}/api/data/v8.2/WhoAmI", json={"UserId": "u"})
    client = onprem_client()
    assert client.whoami() == {"UserId": "u"}
    assert client.api_url == f"{ONPREM}/api/data/v8.2/" and client.features.version == ServerVersion(8, 2, 2, 112)


def test_bulk_goes_to_batch_change_sets_on_premises(wire):
    wire.get(f"{ONPREM}/api/data/v9.0/RetrieveVersion()", json={"Version": "9.0.2.3034"})
    wire.post(
        f"{ONPREM}/api/data/v9.0/$batch", body=b"", status=200, content_type="multipart/mixed; boundary=batchresponse_1"
    )
    client = onprem_client()
    with pytest.raises(Exception):  # noqa: B017 - only the requests sent matter here: no CreateMultiple
        client.upsert_multiple("contacts", "contact", [(AlternateKey({"emailaddress1": "a@b.c"}), {"x": 1})])
    assert [call.request.url.rsplit("/", 1)[-1] for call in wire.calls] == ["RetrieveVersion()", "$batch"]


def test_create_with_representation_reads_back_before_8_2(wire):
    wire.get(f"{ONPREM}/api/data/v8.1/RetrieveVersion()", json={"Version": "8.1.0.359"})
    wire.post(
        f"{ONPREM}/api/data/v8.1/contacts",
        status=204,
        headers={"OData-EntityId": f"{ONPREM}/api/data/v8.1/contacts(00000000-0000-0000-0000-000000000001)"},
        match=[lambda request: (request.headers.get("Prefer") is None, "no Prefer header")],
    )
    wire.get(f"{ONPREM}/api/data/v8.1/contacts(00000000-0000-0000-0000-000000000001)", json={"firstname": "A"})
    assert onprem_client("v8.1").create("contacts", {"firstname": "A"}, return_representation=True) == {
        "firstname": "A"
    }


def test_change_tracking_and_unsafe_keys_are_refused_before_sending(wire):
    wire.get(f"{ONPREM}/api/data/v8.1/RetrieveVersion()", json={"Version": "8.1.0.359"})
    client = onprem_client("v8.1")
    with pytest.raises(NotSupportedError, match="needs 8.2"):
        client.changes("contacts", select=["fullname"])
    with pytest.raises(NotSupportedError, match="':'"):
        client.upsert("comms_callrecordings", AlternateKey({"comms_filename": "a:b"}), {})


def test_online_clients_ask_nothing(wire):
    wire.post(
        "https://org.crm4.dynamics.com/api/data/v9.2/contacts/Microsoft.Dynamics.CRM.CreateMultiple",
        json={"Ids": ["00000000-0000-0000-0000-000000000001"]},
        match=[matchers.json_params_matcher({"Targets": [{"x": 1, "@odata.type": "Microsoft.Dynamics.CRM.contact"}]})],
    )
    client = DataverseClient(
        base_url="https://org.crm4.dynamics.com", session=requests.Session(), token_provider=StaticToken("t")
    )
    assert client.create_multiple("contacts", "contact", [{"x": 1}]) == ["00000000-0000-0000-0000-000000000001"]


def result(status: int) -> BatchResult:
    return BatchResult(
        status=status, headers={}, json={"error": {"code": "0x1", "message": "m"}} if status >= 400 else None
    )


def test_continue_on_error_is_emulated_by_resending_what_follows_a_failure():
    sent: list[list[str]] = []
    replies = iter([[result(204), result(400)], [result(204), result(404)], [result(204)]])

    def send(items):
        sent.append(list(items))
        return next(replies)

    results = continue_after_failures(["a", "b", "c", "d", "e"], send)
    assert [r.status for r in results] == [204, 400, 204, 404, 204]
    assert sent == [["a", "b", "c", "d", "e"], ["c", "d", "e"], ["e"]]


def test_change_tracking_by_delta_link_is_used_from_8_2(wire):
    """8.2 (December 2016 update) added the Web API's change tracking: ``Prefer: odata.track-changes``."""
    wire.get(f"{ONPREM}/api/data/v8.2/RetrieveVersion()", json={"Version": "8.2.2.112"})
    delta = f"{ONPREM}/api/data/v8.2/contacts?$select=fullname&$deltatoken=1%2101%2f01%2f2017"
    wire.get(
        f"{ONPREM}/api/data/v8.2/contacts",
        json={"value": [{"contactid": "c1", "fullname": "A"}], "@odata.deltaLink": delta},
        match=[matchers.header_matcher({"Prefer": "odata.track-changes,odata.maxpagesize=5000"})],
    )
    page = onprem_client("v8.2").changes("contacts", select=["fullname"])
    assert page.records == [{"contactid": "c1", "fullname": "A"}] and page.delta_link == delta
