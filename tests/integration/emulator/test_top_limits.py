"""``$top``, ``$skip`` and ``odata.maxpagesize`` at and past their limits, over a real socket.

``$top`` is read as OData.Core reads it (``long.TryParse``, then not negative) with OData.Core's
messages, and held to the Int32 a Dataverse query takes. Page sizes above 5,000 are ignored, as
Learn's "Page results" says.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration

INVALID = (
    "Invalid value '{0}' for $top query option found. The $top query option requires a non-negative integer value."
)
NESTED = "Top option must be a non-negative integer, it is set to '{0}' instead."


@pytest.fixture(scope="module")
def seeded(emulator: EmulatorServer, http: requests.Session) -> str:
    for number in range(3):
        created = http.post(emulator.url + "accounts", json={"name": f"Top {number}"}, timeout=5)
        assert created.status_code == 204
    return emulator.url


def get(http: requests.Session, url: str, top: str, **headers: str) -> requests.Response:
    return http.get(
        url + f"accounts?$select=name&$filter=startswith(name,'Top ')&$top={quote(top)}", headers=headers, timeout=5
    )


def refused(response: requests.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {"code": "0x80060888", "message": message}


@pytest.mark.parametrize("top", ["-1", "-99999999999", "1.5", "1e3", "0x10", "abc", "", "٣", "9223372036854775808"])
def test_top_that_is_not_a_non_negative_int64_gets_odata_cores_message(
    seeded: str, http: requests.Session, top: str
) -> None:
    refused(get(http, seeded, top), INVALID.format(top))


@pytest.mark.parametrize("top", ["2147483648", "99999999999", "9223372036854775807"])
def test_top_past_int32_is_refused(seeded: str, http: requests.Session, top: str) -> None:
    response = get(http, seeded, top)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == (
        f"The $top value {top} is larger than 2147483647, the most rows a Dataverse query can ask for."
    )


@pytest.mark.parametrize(("top", "rows"), [("0", 0), ("2", 2), (" 2 ", 2), ("-0", 0), ("2147483647", 3)])
def test_top_that_long_tryparse_reads_is_applied(seeded: str, http: requests.Session, top: str, rows: int) -> None:
    response = get(http, seeded, top)
    assert response.status_code == 200, response.text
    assert len(response.json()["value"]) == rows


def test_top_inside_expand_gets_the_nested_message(seeded: str, http: requests.Session) -> None:
    url = seeded + "accounts?$select=name&$expand=contact_customer_accounts($select=lastname;$top=-1)"
    refused(http.get(url, timeout=5), NESTED.format("-1"))
    big = seeded + "accounts?$select=name&$expand=contact_customer_accounts($select=lastname;$top=99999999999)"
    assert http.get(big, timeout=5).status_code == 400


@pytest.mark.parametrize("skip", ["1", "0", "-1", "99999999999"])
def test_skip_is_refused_whatever_its_value(seeded: str, http: requests.Session, skip: str) -> None:
    response = http.get(seeded + f"accounts?$select=name&$skip={skip}", timeout=5)
    assert response.status_code == 400
    assert "$skip" in response.json()["error"]["message"]


def test_max_page_size_over_5000_is_ignored_and_top_then_applies(seeded: str, http: requests.Session) -> None:
    response = get(http, seeded, "2", Prefer="odata.maxpagesize=99999999999")
    assert response.status_code == 200, response.text
    assert "Preference-Applied" not in response.headers
    assert len(response.json()["value"]) == 2


def test_max_page_size_within_range_is_applied_and_echoed(seeded: str, http: requests.Session) -> None:
    response = http.get(
        seeded + "accounts?$select=name&$filter=startswith(name,'Top ')",
        headers={"Prefer": "odata.maxpagesize=5000"},
        timeout=5,
    )
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=5000"
    paged = http.get(
        seeded + "accounts?$select=name&$filter=startswith(name,'Top ')",
        headers={"Prefer": "odata.maxpagesize=1"},
        timeout=5,
    ).json()
    assert len(paged["value"]) == 1 and "@odata.nextLink" in paged


@pytest.mark.parametrize("size", ["0", "-1", "abc"])
def test_max_page_size_that_is_not_positive_is_refused(seeded: str, http: requests.Session, size: str) -> None:
    response = http.get(seeded + "accounts?$select=name", headers={"Prefer": f"odata.maxpagesize={size}"}, timeout=5)
    assert response.status_code == 400
