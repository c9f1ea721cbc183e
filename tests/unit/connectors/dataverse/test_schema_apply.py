"""``apply_schema`` against Dataverse's metadata endpoints, mocked at the HTTP wire with ``responses``.

``MetadataWire`` keeps the state a real environment would (tables, attributes, keys,
option values, publisher, solution) and answers with the documented shapes and
status codes, so a second run can be shown to send no write at all.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
import responses

import dataverse_schema as schema
from connectors.dataverse.auth import StaticToken
from connectors.dataverse.client import DataverseClient
from connectors.dataverse.errors import BadResponseError, PrivilegeError, ThrottledError
from connectors.dataverse.retry import RetryPolicy
from connectors.dataverse.schema_apply import apply_schema
from dataverse_schema.model import PUBLISHER_PREFIX, choices

BASE = "https://org.crm4.dynamics.com"
API = BASE + "/api/data/v9.2/"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _error(status: int, code: str, message: str):
    return (
        status,
        {"Content-Type": "application/json; odata.metadata=minimal"},
        json.dumps({"error": {"code": code, "message": message}}),
    )


class MetadataWire:
    """Just enough of the Web API metadata surface, stateful, at the wire."""

    def __init__(self, mock: responses.RequestsMock):
        self.tables: dict[str, dict] = {
            name: {
                "MetadataId": f"md-{name}",
                "LogicalName": name,
                "SchemaName": name,
                "Attributes": {},
                "Keys": {},
                "DisplayName": {},
                "Options": {},
            }
            for name in ("phonecall", "fax", "systemuser", "contact", "team", "queue", "list", "campaign")
        }
        self.publishers: list[dict] = []
        self.solutions: list[dict] = []
        self.writes: list[tuple[str, str, dict, dict]] = []
        self.published: list[str] = []
        self.faults: list[tuple[str, str, tuple]] = []
        for method in ("GET", *WRITES):
            mock.add_callback(method, re.compile(re.escape(API) + r".*"), callback=self.dispatch)

    def fail_once(self, method: str, path: str, status: int, code: str, message: str, **headers: str) -> None:
        """The next ``method path`` gets this error reply instead of being served."""
        status_, base_headers, body = _error(status, code, message)
        self.faults.append((method, path, (status_, dict(base_headers, **headers), body)))

    def dispatch(self, request):
        path = unquote(urlsplit(request.url).path)[len(urlsplit(API).path) :]
        for fault in self.faults:
            if fault[:2] == (request.method, path):
                self.faults.remove(fault)
                return fault[2]
        return self.get(request) if request.method == "GET" else self.write(request)

    # -- reads --

    def get(self, request):
        path = unquote(urlsplit(request.url).path)[len(urlsplit(API).path) :]
        query = parse_qs(urlsplit(request.url).query)
        if path in ("publishers", "solutions"):
            wanted = re.search(r"uniquename eq '([^']*)'", query["$filter"][0]).group(1)
            rows = [r for r in getattr(self, path) if r["uniquename"] == wanted]
            return 200, {}, json.dumps({"value": rows})
        match = re.fullmatch(
            r"EntityDefinitions\(LogicalName='(\w+)'\)(/Attributes/Microsoft\.Dynamics\.CRM\."
            r"PicklistAttributeMetadata)?",
            path,
        )
        if not match or match.group(1) not in self.tables:
            return _error(404, "0x80040217", f"Could not find entity {path}")
        table = self.tables[match.group(1)]
        if match.group(2):
            return (
                200,
                {},
                json.dumps(
                    {
                        "value": [
                            {"LogicalName": name, "OptionSet": {"Options": options}}
                            for name, options in table["Options"].items()
                        ]
                    }
                ),
            )
        body = {k: v for k, v in table.items() if k not in ("Attributes", "Keys", "Options")}
        body["Attributes"] = list(table["Attributes"].values())
        body["Keys"] = list(table["Keys"].values())
        return 200, {}, json.dumps(body)

    # -- writes --

    def write(self, request):
        path = unquote(urlsplit(request.url).path)[len(urlsplit(API).path) :]
        body = json.loads(request.body) if request.body else {}
        self.writes.append((request.method, path, body, dict(request.headers)))
        if path in ("publishers", "solutions"):
            row = dict(body, **{path[:-1] + "id": "11111111-1111-1111-1111-111111111111"})
            getattr(self, path).append(row)
            return 204, {"OData-EntityId": f"{API}{path}({row[path[:-1] + 'id']})"}, ""
        if path == "PublishXml":
            self.published.extend(re.findall(r"<entity>(\w+)</entity>", body["ParameterXml"]))
            return 204, {}, ""
        if path == "EntityDefinitions":
            return self._create_table(body)
        if path == "RelationshipDefinitions":
            lookup = dict(body["Lookup"], LogicalName=body["Lookup"]["SchemaName"].lower())
            self.tables[body["ReferencingEntity"]]["Attributes"][lookup["LogicalName"]] = lookup
            return 204, {"OData-EntityId": f"{API}RelationshipDefinitions(rel-1)"}, ""
        if path in ("InsertOptionValue", "UpdateOptionValue"):
            options = self.tables[body["EntityLogicalName"]]["Options"].setdefault(body["AttributeLogicalName"], [])
            options[:] = [o for o in options if o["Value"] != body["Value"]] + [
                {"Value": body["Value"], "Label": body["Label"]}
            ]
            return 200, {}, json.dumps({"NewOptionValue": body["Value"]})
        match = re.fullmatch(
            r"EntityDefinitions\(LogicalName='(\w+)'\)(?:/(Attributes|Keys)"
            r"(?:\(LogicalName='(\w+)'\))?)?",
            path,
        )
        table = self.tables[match.group(1)]
        if match.group(2) == "Keys":
            table["Keys"][body["SchemaName"].lower()] = dict(
                LogicalName=body["SchemaName"].lower(),
                KeyAttributes=body["KeyAttributes"],
                EntityKeyIndexStatus="Active",
            )
        elif match.group(2) == "Attributes":
            self._store_attribute(table, body)
        else:
            table.update({k: body[k] for k in ("DisplayName", "DisplayCollectionName", "Description")})
        return 204, {}, ""

    def _create_table(self, body):
        name = body["SchemaName"].lower()
        table = {
            "MetadataId": f"md-{name}",
            "LogicalName": name,
            "SchemaName": body["SchemaName"],
            "Attributes": {},
            "Keys": {},
            "Options": {},
        }
        table.update({k: body[k] for k in ("DisplayName", "DisplayCollectionName", "Description")})
        self.tables[name] = table
        self._store_attribute(table, body["Attributes"][0])
        return 204, {"OData-EntityId": f"{API}EntityDefinitions(md-{name})"}, ""

    @staticmethod
    def _store_attribute(table, body):
        attribute = {k: v for k, v in body.items() if k != "OptionSet"}
        attribute["LogicalName"] = body["SchemaName"].lower()
        attribute["MetadataId"] = "md-" + attribute["LogicalName"]
        if body.get("OptionSet", {}).get("OptionSetType") == "Picklist":
            table["Options"][attribute["LogicalName"]] = body["OptionSet"]["Options"]
        table["Attributes"][attribute["LogicalName"]] = attribute


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def env(wire):
    return MetadataWire(wire)


@pytest.fixture
def client():
    retry = RetryPolicy(max_attempts=3, sleep=lambda s: None, rng=lambda: 0.0)
    return DataverseClient(base_url=BASE, session=requests.Session(), token_provider=StaticToken("t"), retry=retry)


TELEPHONY = [schema.table(n) for n in ("comms_telephonysystem", "comms_phoneline", "comms_extension", "phonecall")]


def test_first_run_creates_everything_inside_the_solution(env, client):
    report = apply_schema(client, TELEPHONY)
    assert "publisher commsuite" in report.created and "solution CommSuite" in report.created
    assert env.publishers[0]["customizationprefix"] == PUBLISHER_PREFIX
    assert env.solutions[0]["publisherid@odata.bind"] == "/publishers(11111111-1111-1111-1111-111111111111)"
    assert {"table comms_telephonysystem", "table comms_phoneline"} <= set(report.created)
    assert "phonecall" in env.tables and "comms_pbxcallid" in env.tables["phonecall"]["Attributes"]
    assert "comms_phonecall_pbxcall" in env.tables["phonecall"]["Keys"]
    assert "comms_telephonysystemid" in env.tables["phonecall"]["Attributes"]
    metadata_writes = [w for w in env.writes if w[1] not in ("publishers", "solutions", "PublishXml")]
    assert metadata_writes and all(h.get("MSCRM.SolutionUniqueName") == "CommSuite" for *_, h in metadata_writes)
    assert set(env.published) == {t.logical_name for t in TELEPHONY}
    assert not any(method == "DELETE" for method, *_ in env.writes)


def test_tables_exist_before_relationships_and_keys_after_their_columns(env, client):
    apply_schema(client, TELEPHONY)
    order = [(m, p) for m, p, *_ in env.writes]
    last_table = max(i for i, (m, p) in enumerate(order) if p == "EntityDefinitions")
    first_relationship = min(i for i, (m, p) in enumerate(order) if p == "RelationshipDefinitions")
    assert last_table < first_relationship
    key_at = order.index(("POST", "EntityDefinitions(LogicalName='phonecall')/Keys"))
    column_at = order.index(("POST", "EntityDefinitions(LogicalName='phonecall')/Attributes"))
    assert column_at < key_at


def test_second_run_sends_no_write_and_says_so(env, client):
    apply_schema(client, TELEPHONY)
    writes_after_first = len(env.writes)
    report = apply_schema(client, TELEPHONY)
    assert len(env.writes) == writes_after_first
    assert not report.changed and report.published == []
    assert report.lines()[-1] == "schema is up to date in solution CommSuite: nothing changed"


def test_whole_schema_converges_in_one_run(env, client):
    apply_schema(client, schema.TABLES.values())
    writes = len(env.writes)
    report = apply_schema(client, schema.TABLES.values())
    assert (len(env.writes), report.changed, report.warnings) == (writes, False, [])
    assert "contact" not in env.published and "comms_sms" in env.published


def test_standard_tables_are_never_created(env, client):
    del env.tables["phonecall"]
    report = apply_schema(client, [schema.table("phonecall")])
    assert not any(p == "EntityDefinitions" for _, p, *_ in env.writes)
    assert report.warnings == ["standard table phonecall is missing from the environment"]


def test_changed_description_is_put_with_merged_labels(env, client):
    apply_schema(client, TELEPHONY)
    attribute = env.tables["comms_telephonysystem"]["Attributes"]["comms_countrycode"]
    attribute["Description"]["LocalizedLabels"][0]["Label"] = "old words"
    attribute["MaxLength"] = 3
    before = len(env.writes)
    report = apply_schema(client, TELEPHONY)
    (put,) = env.writes[before : before + 1]
    method, path, body, headers = put
    assert (method, path) == (
        "PUT",
        "EntityDefinitions(LogicalName='comms_telephonysystem')/Attributes(LogicalName='comms_countrycode')",
    )
    assert headers["MSCRM.MergeLabels"] == "true" and headers["MSCRM.SolutionUniqueName"] == "CommSuite"
    assert body["MetadataId"] == "md-comms_countrycode" and body["MaxLength"] == 4
    assert report.updated == ["column comms_telephonysystem.comms_countrycode (Description, MaxLength)"]
    assert env.published[-1:] == ["comms_telephonysystem"]


def test_narrowing_and_type_changes_are_reported_not_applied(env, client):
    apply_schema(client, TELEPHONY)
    attributes = env.tables["comms_telephonysystem"]["Attributes"]
    attributes["comms_pbxmodel"]["MaxLength"] = 400
    attributes["comms_baudrate"]["AttributeType"] = "String"
    before = len(env.writes)
    report = apply_schema(client, TELEPHONY)
    assert len(env.writes) == before
    assert any("comms_pbxmodel" in w and "narrower" in w for w in report.warnings)
    assert any("comms_baudrate is String" in w for w in report.warnings)


def test_missing_choice_value_is_inserted_and_relabelled_one_updated(env, client):
    apply_schema(client, TELEPHONY)
    options = env.tables["comms_telephonysystem"]["Options"]["comms_kind"]
    dropped = options.pop()
    options[0]["Label"]["LocalizedLabels"][0]["Label"] = "Asterisk"
    relabelled = options[0]["Value"]
    before = len(env.writes)
    report = apply_schema(client, TELEPHONY)
    actions = [(p, b["Value"]) for _, p, b, _ in env.writes[before:] if p.endswith("OptionValue")]
    assert sorted(actions) == [("InsertOptionValue", dropped["Value"]), ("UpdateOptionValue", relabelled)]
    assert report.changed


def test_persian_label_missing_from_the_environment_is_not_a_difference(env, client):
    apply_schema(client, TELEPHONY)
    name = env.tables["comms_telephonysystem"]["Attributes"]["comms_countrycode"]["DisplayName"]
    name["LocalizedLabels"] = name["LocalizedLabels"][:1]  # no Persian language pack
    before = len(env.writes)
    assert not apply_schema(client, TELEPHONY).changed and len(env.writes) == before


def test_dry_run_reads_only_and_reports_what_it_would_do(env, client):
    report = apply_schema(client, TELEPHONY, dry_run=True)
    assert env.writes == []
    assert "would create table comms_telephonysystem" in report.lines()
    assert any(line.startswith("would create key phonecall.comms_phonecall_pbxcall") for line in report.lines())


def test_throttling_is_waited_out_by_the_client(env, client):
    env.fail_once(
        "POST", "EntityDefinitions", 429, "0x80072322", "Number of requests exceeded the limit", **{"Retry-After": "1"}
    )
    env.fail_once(
        "GET", "EntityDefinitions(LogicalName='phonecall')", 429, "0x80072322", "Too many", **{"Retry-After": "1"}
    )
    report = apply_schema(client, TELEPHONY)
    assert report.changed and client.stats.snapshot()["throttled"] >= 1


def test_throttling_beyond_the_policy_reaches_the_caller(wire):
    wire.add(
        responses.GET,
        re.compile(re.escape(API) + "publishers.*"),
        status=429,
        headers={"Retry-After": "1"},
        json={"error": {"code": "0x80072322", "message": "Number of requests exceeded the limit"}},
    )
    client = DataverseClient(base_url=BASE, session=requests.Session(), token_provider=StaticToken("t"), retry=None)
    with pytest.raises(ThrottledError):
        apply_schema(client, TELEPHONY)


def test_privilege_error_body_stops_the_run_with_its_message(env, client):
    env.fail_once(
        "POST",
        "EntityDefinitions",
        403,
        "0x80040220",
        "SecLib::CheckPrivilege failed. Missing privilege prvCreateEntity",
    )
    with pytest.raises(PrivilegeError, match="prvCreateEntity"):
        apply_schema(client, TELEPHONY)


def test_junk_metadata_reply_is_a_bad_response(wire, client):
    wire.add(
        responses.GET,
        re.compile(re.escape(API) + "publishers.*"),
        body="<html>proxy error</html>",
        status=200,
        content_type="text/html",
    )
    with pytest.raises(BadResponseError):
        apply_schema(client, TELEPHONY)


def test_component_created_meanwhile_counts_as_done(env, client):
    env.fail_once(
        "POST",
        "EntityDefinitions(LogicalName='phonecall')/Keys",
        412,
        "0x80060892",
        "A record with the same value already exists",
    )
    report = apply_schema(client, TELEPHONY)
    assert any(line.startswith("key phonecall.") for line in report.created)


def test_environment_refusing_the_choice_read_gets_a_warning_not_a_failure(env, client):
    apply_schema(client, TELEPHONY)
    env.fail_once(
        "GET",
        "EntityDefinitions(LogicalName='comms_telephonysystem')/Attributes"
        "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
        400,
        "0x80060888",
        "The query option $expand is not valid on this metadata resource.",
    )
    before = len(env.writes)
    report = apply_schema(client, TELEPHONY)
    assert len(env.writes) == before and not report.changed
    assert report.warnings == [
        "choice values of comms_telephonysystem not compared: The query option $expand "
        "is not valid on this metadata resource."
    ]


def test_changed_table_label_is_put_without_its_attributes(env, client):
    apply_schema(client, TELEPHONY)
    env.tables["comms_phoneline"]["DisplayCollectionName"]["LocalizedLabels"][0]["Label"] = "Lines"
    before = len(env.writes)
    report = apply_schema(client, TELEPHONY)
    (method, path, body, headers), publish = env.writes[before:]
    assert (method, path) == ("PUT", "EntityDefinitions(LogicalName='comms_phoneline')")
    assert "Attributes" not in body and body["MetadataId"] == "md-comms_phoneline"
    assert headers["MSCRM.MergeLabels"] == "true"
    assert report.updated == ["table comms_phoneline (DisplayCollectionName)"]
    assert publish[1] == "PublishXml"


def test_missing_global_choice_is_created_and_published(wire, client):
    shared = choices("On", "Off", name="comms_switch")
    wire.add(
        responses.GET,
        re.compile(re.escape(API) + r"publishers\?.*"),
        json={"value": [{"publisherid": "11111111-1111-1111-1111-111111111111", "customizationprefix": "comms"}]},
    )
    wire.add(
        responses.GET,
        re.compile(re.escape(API) + r"solutions\?.*"),
        json={"value": [{"solutionid": "22222222-2222-2222-2222-222222222222"}]},
    )
    wire.add(responses.POST, API + "PublishXml", status=204)
    wire.add(
        responses.GET,
        API + "GlobalOptionSetDefinitions(Name='comms_switch')",
        status=404,
        json={"error": {"code": "0x80040217", "message": "Could not find optionset"}},
    )
    wire.add(responses.POST, API + "GlobalOptionSetDefinitions", status=204)
    report = apply_schema(client, [], option_sets=[shared])
    assert "choice comms_switch" in report.created
    (created,) = [c for c in wire.calls if c.request.method == "POST" and "GlobalOptionSet" in c.request.url]
    assert json.loads(created.request.body)["Name"] == "comms_switch"
    assert created.request.headers["MSCRM.SolutionUniqueName"] == "CommSuite"
    (publish,) = [c for c in wire.calls if c.request.url.endswith("PublishXml")]
    assert "<optionset>comms_switch</optionset>" in json.loads(publish.request.body)["ParameterXml"]
