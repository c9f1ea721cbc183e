"""Hostile telephony rows from the CRM (CALL-12, -13, -23): any value of any JSON type in any column gives a
parsed system (bad line or extension rows listed as problems) or a ``SettingsProblem`` in words, never a stray
``OverflowError`` or ``TypeError``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataverse_schema.names import Extension, PhoneLine, TelephonySystem
from services.calls.telephony_settings import SettingsProblem, parse_settings

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),  # inf and nan included
    st.text(max_size=12),
    st.sampled_from(["98", "۹۸", "²", "9" * 5000, "\u202e101", "201\r\nAction: Command", "\x00", "PJSIP/201"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
SYSTEM_COLUMNS = [
    TelephonySystem.COUNTRYCODE,
    TelephonySystem.MINIMUMDIGITS,
    TelephonySystem.CITYCODE,
    TelephonySystem.CALLVISIBILITY,
    TelephonySystem.RECORDINGSOURCE,
    TelephonySystem.RECORDINGPORT,
    TelephonySystem.RECORDINGHOST,
    TelephonySystem.ORIGINATECONTEXT,
    TelephonySystem.HIDDENEXTENSIONS,
    TelephonySystem.RESPONSIBLECOLUMNS,
    TelephonySystem.LANGUAGE,
    TelephonySystem.NOTIFYMISSEDCALLS,
]
LINE_COLUMNS = [PhoneLine.LINEID, PhoneLine.NUMBER, PhoneLine.DIALPREFIX, PhoneLine.ISDEFAULT]
EXTENSION_COLUMNS = [Extension.NUMBER, Extension.CHANNEL, Extension.NAME, Extension.CANORIGINATE]


def _row(columns: list[str]):
    return st.fixed_dictionaries({}, optional={column: _HOSTILE for column in columns})


@FAST
@given(
    system=_row(SYSTEM_COLUMNS),
    lines=st.lists(_row(LINE_COLUMNS), max_size=3),
    extensions=st.lists(_row(EXTENSION_COLUMNS), max_size=3),
)
def test_any_telephony_rows_parse_or_say_what_is_wrong(system: dict, lines: list, extensions: list) -> None:
    system = {TelephonySystem.SYSTEMKEY: "pbx1", TelephonySystem.COUNTRYCODE: "98", **system}
    try:
        parsed = parse_settings(system, lines, extensions)
    except SettingsProblem as problem:
        assert str(problem)
        return
    assert all(isinstance(p, str) and p for p in parsed.problems)
    assert all(number.isascii() for number in parsed.settings.extensions)


@pytest.mark.parametrize(
    "column", [TelephonySystem.MINIMUMDIGITS, TelephonySystem.CALLVISIBILITY, TelephonySystem.RECORDINGSOURCE]
)
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 10**30])
def test_an_infinite_or_huge_number_is_a_settings_problem(column: str, value: float) -> None:
    system = {TelephonySystem.SYSTEMKEY: "pbx1", TelephonySystem.COUNTRYCODE: "98", column: value}
    with pytest.raises(SettingsProblem):
        parse_settings(system, [], [])
