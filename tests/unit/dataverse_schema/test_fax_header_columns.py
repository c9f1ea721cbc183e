"""The fax server's page-header settings (FAX-14, X-05): the SMS templates' calendars, Gregorian and English first."""

from __future__ import annotations

from dataverse_schema.fax import FAX_SERVER, HEADER_CALENDARS, HEADER_LANGUAGES
from dataverse_schema.names import FaxServer
from dataverse_schema.sms import CALENDARS


def test_the_header_calendar_offers_the_sms_templates_calendars_with_gregorian_for_new_servers() -> None:
    column = FAX_SERVER.column(FaxServer.HEADERCALENDAR)
    assert column.options.options == CALENDARS.options
    assert column.default == HEADER_CALENDARS.default == CALENDARS.value_of("Gregorian")
    assert CALENDARS.default == CALENDARS.value_of("Persian (Jalali)")  # the SMS templates' default is theirs


def test_the_header_language_is_english_or_persian_and_english_for_new_servers() -> None:
    column = FAX_SERVER.column(FaxServer.HEADERLANGUAGE)
    assert [o.label for o in column.options.options] == ["English", "Persian"]
    assert column.default == HEADER_LANGUAGES.value_of("English")


def test_the_header_time_zone_holds_any_iana_name() -> None:
    column = FAX_SERVER.column(FaxServer.HEADERTIMEZONE)
    assert column.max_length == 64  # America/Argentina/ComodRivadavia, the longest name, has 32
