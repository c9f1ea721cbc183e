"""``apiProperties.json`` has the shape of real connectors' (X-02).

Facts taken from microsoft/PowerPlatformConnectors (schemas/paconn-apiProperties.schema.json and the
certified connectors RescoReports, a Dataverse connector signing in with Entra ID, and
MicrosoftGraphSecurity, an OData source with polling triggers): an ``aad`` OAuth setting may carry only
``resourceUri`` (required), ``loginUri`` and ``tenantId`` as custom parameters and needs
``properties.IsFirstParty``; a ``pollingtrigger`` policy needs ``triggerConfig`` (query parameter →
value expression) and ``triggerDataPath``.
"""

from __future__ import annotations

import pytest

from solution.connector.definition import api_definition
from solution.connector.environment import environment
from solution.connector.properties import api_properties

ORG = "https://contoso.crm4.dynamics.com"
CLIENT = "0a1b2c3d-0000-4000-8000-00000000abcd"


@pytest.fixture(scope="module")
def properties() -> dict:
    return api_properties(environment(ORG), CLIENT)["properties"]


def test_the_top_level_is_the_paconn_shape(properties) -> None:
    assert set(properties) <= {
        "iconBrandColor",
        "publisher",
        "stackOwner",
        "capabilities",
        "connectionParameters",
        "policyTemplateInstances",
    }
    assert properties["iconBrandColor"].startswith("#") and len(properties["iconBrandColor"]) == 7


def test_the_connection_signs_in_with_entra_id_to_the_environment(properties) -> None:
    [(name, token)] = properties["connectionParameters"].items()
    assert (name, token["type"]) == ("token", "oauthSetting")
    oauth = token["oAuthSettings"]
    assert (oauth["identityProvider"], oauth["clientId"], oauth["redirectMode"]) == ("aad", CLIENT, "Global")
    assert oauth["properties"] == {"IsFirstParty": "False"}
    assert set(oauth["customParameters"]) <= {"resourceUri", "loginUri", "tenantId"}
    assert oauth["customParameters"]["resourceUri"] == {"value": ORG}
    assert "clientSecret" not in oauth  # given at import (paconn create --secret), never written to a file


def test_each_trigger_has_a_polling_policy_naming_its_operation(properties) -> None:
    definition = api_definition(environment(ORG), "1.0.0.0")
    triggers = {
        spec["operationId"]
        for methods in definition["paths"].values()
        for spec in methods.values()
        if spec.get("x-ms-trigger")
    }
    policies = properties["policyTemplateInstances"]
    assert {p["parameters"]["x-ms-apimTemplate-operationName"][0] for p in policies} == triggers
    for policy in policies:
        assert (policy["templateId"], policy["type"]) == ("pollingtrigger", "PollingTrigger")
        parameters = policy["parameters"]
        assert parameters["x-ms-apimTemplateParameter.triggerDataPath"] == "@triggerBody().value"
        [(query, expression)] = parameters["x-ms-apimTemplateParameter.triggerConfig"].items()
        assert query == "$filter" and "@{triggerBody().value[0]." in expression


def test_the_next_polls_filter_keeps_the_first_polls_condition() -> None:
    definition = api_definition(environment(ORG), "1.0.0.0")
    policies = api_properties(environment(ORG), CLIENT)["properties"]["policyTemplateInstances"]
    for policy in policies:
        [operation_id] = policy["parameters"]["x-ms-apimTemplate-operationName"]
        spec = next(s for m in definition["paths"].values() for s in m.values() if s["operationId"] == operation_id)
        first = next(p["default"] for p in spec["parameters"] if p["name"] == "$filter")
        later = policy["parameters"]["x-ms-apimTemplateParameter.triggerConfig"]["$filter"]
        assert later.startswith(f"{first} and ")


@pytest.mark.parametrize("client_id", ["", "   "])
def test_a_connector_without_an_app_registration_is_refused(client_id: str) -> None:
    with pytest.raises(ValueError, match="client id"):
        api_properties(environment(ORG), client_id)


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://contoso.crm.dynamics.com", "https://"),
        ("https://contoso.crm.dynamics.com/api/data/v9.2", "root only"),
        ("https://user:pw@contoso.crm.dynamics.com", "user name or password"),
        ("https://", "no host"),
        ("contoso.crm.dynamics.com", "https://"),
    ],
)
def test_an_organisation_url_that_is_not_an_environments_root_is_refused(url: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        environment(url)


def test_the_environment_is_read_from_its_root_url() -> None:
    env = environment(" https://Contoso.crm4.dynamics.com/ ")
    assert (env.host, env.base_path, env.origin) == (
        "contoso.crm4.dynamics.com",
        "/api/data/v9.2",
        "https://contoso.crm4.dynamics.com",
    )
