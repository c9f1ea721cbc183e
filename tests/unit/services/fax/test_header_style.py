"""The fax server row's Header Time Zone, Calendar and Language reach the stamped pages (FAX-14, X-05).

Through the Dataverse emulator: a server row with the settings, a fax with a
scanned page, and the sender's upload checked pixel for pixel against the
header band the stamper draws for the style the row asks for.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from connectors.documents import DocumentPreparer, HeaderStamper, HeaderStyle, PageHeader
from dataverse_schema.fax import HEADER_CALENDARS, HEADER_LANGUAGES
from dataverse_schema.names import FaxServer
from domain.fax import DocumentKind
from services.fax.directory import FaxDirectory
from services.fax.page_header import zone_problem
from services.fax.sending import FaxSender
from tests.unit.connectors.documents.images_files import image_bytes
from tests.unit.connectors.documents.test_header import page_tiff
from tests.unit.services.fax.helpers import NOW, FakeFaxServer, new_fax, seed_server, sink_of
from tests.unit.services.fax.test_header import BAND_ROWS, FakeGhostscript, NoTagLineServer, RecordingStamper

pytestmark = pytest.mark.timeout(60)
TEHRAN = ZoneInfo("Asia/Tehran")
PERSIAN_HEADER = "شرکت نمونه پارس"
PERSIAN_ROW = {
    FaxServer.PAGEHEADER: PERSIAN_HEADER,
    FaxServer.HEADERTIMEZONE: "Asia/Tehran",
    FaxServer.HEADERCALENDAR: HEADER_CALENDARS.value_of("Persian (Jalali)"),
    FaxServer.HEADERLANGUAGE: HEADER_LANGUAGES.value_of("Persian"),
}


class StyleRecorder(RecordingStamper):
    def __init__(self) -> None:
        super().__init__()
        self.headers: list[PageHeader] = []

    def stamp(self, content, header, *, first_page=1, total_pages=None):
        self.headers.append(header)
        return super().stamp(content, header, first_page=first_page, total_pages=total_pages)


def send(client, server, **options):
    sender = FaxSender(client, server, "hq", sink_of(client), clock=lambda: NOW, **options)
    sender.run_once(FaxDirectory.load(client))
    return [fax for fax, _ in server.jobs.values()]


def band(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        return image.convert("1").crop((0, 0, image.size[0], BAND_ROWS)).tobytes()


def test_a_row_with_the_persian_settings_gives_a_page_with_the_persian_header(client):
    seed_server(client, **PERSIAN_ROW)
    new_fax(client, document=image_bytes("PNG"), name="scan.png")
    [fax] = send(client, NoTagLineServer())
    [document] = fax.documents
    assert document.kind is DocumentKind.TIFF and fax.header == ""
    style = HeaderStyle(TEHRAN, jalali=True, persian=True)
    expected = PageHeader(PERSIAN_HEADER, NOW, "02188881000", style)
    assert expected.fields(1, 1)[1][1].startswith("۱۴۰۳/۱۲/۱۴ ۱۲:۳۰")  # 4 March 2025 09:00 UTC in Tehran
    assert band(document.content) == band(HeaderStamper().stamp(page_tiff(), expected))
    as_before = PageHeader(PERSIAN_HEADER, NOW, "02188881000")
    assert band(document.content) != band(HeaderStamper().stamp(page_tiff(), as_before))


def test_the_sender_passes_the_rows_zone_calendar_and_language(client):
    seed_server(client, **PERSIAN_ROW)
    new_fax(client, document=image_bytes("PNG"), name="scan.png")
    stamper = StyleRecorder()
    send(client, NoTagLineServer(), stamper=stamper)
    [header] = stamper.headers
    assert (header.text, header.prepared_at, header.sending_number) == (PERSIAN_HEADER, NOW, "02188881000")
    assert header.style == HeaderStyle(TEHRAN, jalali=True, persian=True)


@pytest.mark.parametrize(
    "host_zone, expected", [(None, UTC), (TEHRAN, TEHRAN)], ids=["no SMS zone: UTC", "the host's SMS zone"]
)
def test_a_row_naming_no_zone_takes_the_hosts_zone(client, host_zone, expected):
    seed_server(client, **{FaxServer.PAGEHEADER: "Contoso", FaxServer.HEADERTIMEZONE: ""})
    new_fax(client, document=image_bytes("PNG"), name="scan.png")
    stamper = StyleRecorder()
    options = {} if host_zone is None else {"header_zone": host_zone}
    send(client, NoTagLineServer(), stamper=stamper, **options)
    assert stamper.headers[0].style == HeaderStyle(expected)


def test_a_zone_no_zone_answers_to_never_stops_a_fax_it_is_printed_in_utc_with_one_warning(client, caplog):
    seed_server(client, **{**PERSIAN_ROW, FaxServer.HEADERTIMEZONE: "Asia/Tehrn"})
    for _ in range(2):
        new_fax(client, document=image_bytes("PNG"), name="scan.png")
    stamper, server = StyleRecorder(), NoTagLineServer()
    caplog.set_level(logging.WARNING, logger="services.fax.page_header")
    sender = FaxSender(client, server, "hq", sink_of(client), clock=lambda: NOW, stamper=stamper, header_zone=TEHRAN)
    sender.run_once(FaxDirectory.load(client))
    sender.run_once(FaxDirectory.load(client))
    assert len(server.jobs) == 2
    assert {h.style for h in stamper.headers} == {HeaderStyle(UTC, jalali=True, persian=True)}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'Asia/Tehrn' is not a known time zone" in warnings[0]


def test_a_server_printing_its_own_header_has_it_drawn_when_the_row_asks_for_what_it_cannot_print(client):
    seed_server(client, **PERSIAN_ROW)
    new_fax(client)
    [fax] = send(client, FakeFaxServer(), documents=DocumentPreparer(to_tiff=FakeGhostscript()))
    assert (fax.header, [d.kind for d in fax.documents]) == ("", [DocumentKind.TIFF])


@pytest.mark.parametrize(
    "setting",
    [
        {FaxServer.HEADERTIMEZONE: "Asia/Tehran"},
        {FaxServer.HEADERCALENDAR: HEADER_CALENDARS.value_of("Persian (Jalali)")},
        {FaxServer.HEADERLANGUAGE: HEADER_LANGUAGES.value_of("Persian")},
    ],
    ids=["zone", "calendar", "language"],
)
def test_each_setting_alone_is_something_a_servers_own_header_cannot_print(client, setting):
    seed_server(client, **{FaxServer.PAGEHEADER: "Contoso", **setting})
    new_fax(client)
    [fax] = send(client, FakeFaxServer(), documents=DocumentPreparer(to_tiff=FakeGhostscript()))
    assert fax.header == ""


def test_the_default_settings_leave_a_servers_own_header_as_it_was(client):
    seed_server(
        client,
        **{
            FaxServer.PAGEHEADER: "Contoso",
            FaxServer.HEADERCALENDAR: HEADER_CALENDARS.value_of("Gregorian"),
            FaxServer.HEADERLANGUAGE: HEADER_LANGUAGES.value_of("English"),
        },
    )
    new_fax(client)
    [fax] = send(client, FakeFaxServer())
    assert (fax.header, [d.kind for d in fax.documents]) == ("Contoso", [DocumentKind.PDF])


def test_with_stamping_turned_off_the_servers_own_header_prints_and_one_warning_says_what_is_lost(client, caplog):
    seed_server(client, **PERSIAN_ROW)
    new_fax(client)
    new_fax(client)
    caplog.set_level(logging.WARNING, logger="services.fax.page_header")
    [first, second] = send(client, FakeFaxServer(), stamp_header=False)
    assert (first.header, second.header) == (PERSIAN_HEADER, PERSIAN_HEADER)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "stamp_header is off" in warnings[0]


@pytest.mark.parametrize(
    "name", ["Asia/Tehrn", "Asia", "../../etc/passwd", "/etc/localtime", "Asia/Tehran\n", "X" * 300, "UTC\x00"]
)
def test_a_zone_problem_names_the_value_escaped_and_bounded(name):
    problem = zone_problem(name)
    if name.strip() == "Asia/Tehran":
        assert problem == ""
        return
    assert problem.startswith("The Header Time Zone '") and "\n" not in problem and "\x00" not in problem
    assert len(problem) < 300
