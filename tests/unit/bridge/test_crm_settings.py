"""Telephony settings from CRM rows: parsing (hostile rows), keeping the last good settings, link reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bridge.crm.settings import CrmSettings, LinkStatus
from bridge.outbox.store import Outbox
from connectors.dataverse import RecordId
from domain.calls.system_settings import CallVisibility, RecordingSource
from services.calls.telephony_settings import SettingsProblem, parse_settings

SYSTEM_ID = "44444444-4444-4444-4444-444444444444"
USER = "AAAAAAAA-1111-1111-1111-111111111111"


def system_row(**changes: Any) -> dict[str, Any]:
    row = {
        "comms_telephonysystemid": SYSTEM_ID,
        "comms_name": "HQ",
        "comms_systemkey": "hq",
        "comms_countrycode": "98",
        "comms_citycode": "21",
        "comms_linereleaseprefix": "9",
        "comms_minimumdigits": 6,
        "comms_hiddenextensions": "600, 601;\n602",
        "comms_autoregisterlines": False,
        "comms_callvisibility": 103710002,
        "comms_recordingsource": 103710001,
        "comms_recordingport": 2222,
        "comms_notifywaitingcalls": True,
        "comms_language": "FA",
    }
    row.update(changes)
    return row


LINES = [{"comms_phonelineid": "l1", "comms_systemkey": "hq", "comms_lineid": "trunk-1", "comms_isdefault": True}]
EXTENSIONS = [
    {
        "comms_extensionid": "e1",
        "comms_systemkey": "hq",
        "comms_number": "101",
        "_comms_systemuserid_value": USER,
        "comms_canoriginate": False,
        "comms_name": "Sara Karimi",
    }
]


def test_a_full_row_parses() -> None:
    parsed = parse_settings(system_row(), LINES, EXTENSIONS)
    settings = parsed.settings
    assert (settings.plan.country_code, settings.plan.city_code, settings.plan.min_digits) == (98, "21", 6)
    assert settings.hidden_extensions == {"600", "601", "602"}
    assert settings.visibility is CallVisibility.RECORD_OWNER and not settings.auto_register_lines
    assert settings.recording.source is RecordingSource.SFTP and settings.recording.port == 2222
    assert settings.user_of("101") == USER.lower() and not settings.extensions["101"].can_originate
    assert settings.extensions["101"].name == "Sara Karimi"  # the click-to-call's caller-ID name (CALL-29)
    assert settings.default_line().line_id == "trunk-1"
    assert parsed.options.notify_waiting_calls
    assert settings.language == "fa"  # call subjects, notices and recording notes
    assert parse_settings(system_row(comms_language=None), LINES, EXTENSIONS).settings.language == "en"
    assert parsed.problems == ()


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"comms_countrycode": "IR"}, "country code 'IR' is not a number"),
        ({"comms_countrycode": None}, r"country code '\(empty\)'"),
        ({"comms_countrycode": "999"}, "unknown country calling code"),
        ({"comms_citycode": "2l"}, "city code must be digits"),
        ({"comms_linereleaseprefix": "nine"}, "line-release prefix"),
        ({"comms_minimumdigits": 0}, "min_digits"),
        ({"comms_callvisibility": 7}, "unknown choice"),
        ({"comms_systemkey": " "}, "no system key"),
    ],
)
def test_an_unusable_system_row_is_refused_in_plain_words(changes: dict, words: str) -> None:
    with pytest.raises(SettingsProblem, match=words):
        parse_settings(system_row(**changes), [], [])


def test_bad_line_and_extension_rows_are_skipped_and_reported() -> None:
    lines = [*LINES, {"comms_phonelineid": "l2"}, {**LINES[0], "comms_phonelineid": "l3"}]
    extensions = [*EXTENSIONS, {"comms_number": "abc"}, {"comms_number": None, "comms_extensionid": "e9"}]
    parsed = parse_settings(system_row(), lines, extensions)
    assert set(parsed.settings.lines) == {"trunk-1"} and set(parsed.settings.extensions) == {"101"}
    assert len(parsed.problems) == 4
    assert any("appears twice" in p for p in parsed.problems)
    assert any("'abc' is not an extension number" in p for p in parsed.problems)


def test_wrong_types_fall_back_to_defaults() -> None:
    parsed = parse_settings(system_row(comms_autoregisterlines="yes", comms_recordingport="22", comms_name=5), [], [])
    assert parsed.settings.auto_register_lines is True and parsed.settings.recording.port == 22
    assert parsed.settings.name == ""


class FakeClient:
    def __init__(self, systems: list[dict], lines: list[dict], extensions: list[dict]) -> None:
        self.tables = {"comms_telephonysystems": systems, "comms_phonelines": lines, "comms_extensions": extensions}
        self.queries: list[tuple[str, str | None]] = []

    def query(self, entity_set: str, *, select=None, filter=None):
        self.queries.append((entity_set, filter))
        return iter(self.tables[entity_set])


def test_refresh_reads_each_table_once_and_keeps_the_last_good_settings() -> None:
    client = FakeClient([system_row()], LINES, EXTENSIONS)
    settings = CrmSettings(client, "prod", ["hq", "branch"])
    report = settings.refresh_now()
    assert [q[0] for q in client.queries] == ["comms_telephonysystems", "comms_phonelines", "comms_extensions"]
    assert "Microsoft.Dynamics.CRM.In" in client.queries[0][1]
    assert report.updated == ["hq"] and report.missing == ["branch"]
    good = settings.settings_for("hq")
    client.tables["comms_telephonysystems"] = [system_row(comms_countrycode="x")]
    report = settings.refresh_now()
    assert report.kept == ["hq"] and "last good settings" in report.problems[0]
    assert settings.settings_for("hq") is good
    assert settings.settings_for("branch") is None


def test_link_status_goes_through_the_outbox_by_record_id(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as outbox:
        settings = CrmSettings(FakeClient([system_row()], [], []), "prod", ["hq"], outbox=outbox)
        now = datetime(2024, 1, 1, tzinfo=UTC)
        assert settings.report_link("hq", LinkStatus.CONNECTED, "ok", now) is False  # not read yet
        settings.refresh_now()
        assert settings.report_link("hq", LinkStatus.LOGIN_FAILED, "x" * 900, now) is True
        (queued,) = outbox.pending("prod")
    assert queued.item.ref == RecordId(SYSTEM_ID)
    assert queued.item.body["comms_linkstatus"] == 103710003 and len(queued.item.body["comms_linkdetail"]) == 500


def test_needs_a_system_key() -> None:
    with pytest.raises(ValueError):
        CrmSettings(FakeClient([], [], []), "prod", [])


def test_digits_typed_in_persian_or_arabic_indic_script_are_read_as_ascii() -> None:
    """X-05: an admin on a Persian keyboard types ۹۸, ۲۱, ۹, ۱۰۱; the PBX reports 98, 21, 9, 101."""
    row = system_row(
        comms_countrycode="\u200e+۹۸",
        comms_citycode="۲۱",
        comms_linereleaseprefix="٩",
        comms_hiddenextensions="۶۰۰، ٦٠١;\n602",
    )
    lines = [{**LINES[0], "comms_lineid": "trunk-۱", "comms_number": "۰۲۱ ۸۸۸۸ ۱۰۰۰", "comms_dialprefix": "۷۱"}]
    extensions = [{**EXTENSIONS[0], "comms_number": "۱۰۱"}, {"comms_extensionid": "e2", "comms_number": "۱۲a"}]
    parsed = parse_settings(row, lines, extensions)
    settings = parsed.settings
    assert (settings.plan.country_code, settings.plan.city_code, settings.plan.line_release_prefix) == (98, "21", "9")
    assert settings.hidden_extensions == {"600", "601", "602"}
    assert set(settings.extensions) == {"101"} and settings.user_of("101") == USER.lower()
    line = settings.default_line()
    assert (line.line_id, line.number, line.dial_prefix) == ("trunk-1", "021 8888 1000", "71")
    assert parsed.problems == ("telephony system 'hq': extension '12a' is not an extension number (digits only)",)
