"""A non-JSON ``Accept`` on a Web API request, at the wire.

Dataverse's own answer is not public (docs/emulator.md, "Accept headers other than JSON",
UNCONFIRMED). Learn says the Web API "only supports JSON" and that "any error returned in the
response will be returned as JSON"; Microsoft's ASP.NET Web API OData answers JSON to an Accept it
cannot serve (OData/WebApi#456) where OData 4.0 asks for 406. The emulator answers JSON, and these
tests pin that so a change is deliberate.
"""

from __future__ import annotations

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration

_NOT_JSON = ["application/xml", "text/xml", "application/atom+xml", "text/html", "text/plain", "image/png;q=1, x/y"]


@pytest.mark.parametrize("accept", _NOT_JSON)
def test_a_read_answers_json_whatever_the_accept(emulator: EmulatorServer, http: requests.Session, accept: str) -> None:
    response = http.get(emulator.url + "accounts", params={"$select": "name", "$top": "1"}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "value" in response.json()


@pytest.mark.parametrize("accept", _NOT_JSON)
def test_an_error_is_json_whatever_the_accept(emulator: EmulatorServer, http: requests.Session, accept: str) -> None:
    """Learn: "Any error returned in the response will be returned as JSON"."""
    response = http.get(emulator.url + "Accounts", headers={"Accept": accept})
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["message"] == "Resource not found for the segment 'Accounts'."


def test_format_other_than_json_is_still_refused(emulator: EmulatorServer, http: requests.Session) -> None:
    """``$format`` is the query option, which the emulator refuses unless it is JSON (docs/emulator.md)."""
    response = http.get(emulator.url + "accounts", params={"$format": "xml"}, headers={"Accept": "application/xml"})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
