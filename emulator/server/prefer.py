"""The ``Prefer`` request header (RFC 7240) as Dataverse reads it."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.errors import ODataError
from emulator.server.annotations import AnnotationFilter
from emulator.server.wire import ODATA_REQUEST_CODE

#: Dataverse's default and largest page.
MAX_PAGE_SIZE = 5000


@dataclass(frozen=True)
class Preferences:
    return_representation: bool = False
    max_page_size: int | None = None
    track_changes: bool = False
    continue_on_error: bool = False
    include_annotations: str | None = None

    @property
    def page_size(self) -> int:
        return self.max_page_size or MAX_PAGE_SIZE

    @property
    def annotations(self) -> AnnotationFilter:
        """The annotations ``odata.include-annotations`` asks for (none when absent)."""
        return AnnotationFilter.parse(self.include_annotations)


def parse_prefer(values: str | None) -> Preferences:
    """Read a comma-joined ``Prefer`` header; unknown preferences are ignored, as RFC 7240 asks."""
    if not values:
        return Preferences()
    found: dict[str, object] = {}
    for item in _split_outside_quotes(values):
        name, _, value = item.partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        if name == "return" and value.lower() == "representation":
            found["return_representation"] = True
        elif name == "odata.maxpagesize":
            found["max_page_size"] = _page_size(value)
        elif name == "odata.track-changes":
            found["track_changes"] = True
        elif name == "odata.continue-on-error":
            found["continue_on_error"] = True
        elif name == "odata.include-annotations":
            found["include_annotations"] = value
    return Preferences(**found)  # type: ignore[arg-type]


def applied(
    prefs: Preferences,
    *,
    representation: bool = False,
    paging: bool = False,
    tracking: bool = False,
    continue_on_error: bool = False,
    annotations: bool = False,
) -> list[tuple[str, str]]:
    """The ``Preference-Applied`` header for the preferences a handler honoured."""
    honoured = []
    if annotations and prefs.include_annotations:
        honoured.append(f'odata.include-annotations="{prefs.include_annotations}"')
    if representation and prefs.return_representation:
        honoured.append("return=representation")
    if paging and prefs.max_page_size is not None:
        honoured.append(f"odata.maxpagesize={prefs.max_page_size}")
    if tracking and prefs.track_changes:
        honoured.append("odata.track-changes")
    if continue_on_error and prefs.continue_on_error:
        honoured.append("odata.continue-on-error")
    return [("Preference-Applied", ",".join(honoured))] if honoured else []


def _page_size(value: str) -> int | None:
    try:
        size = int(value)
    except ValueError:
        raise ODataError(
            400, ODATA_REQUEST_CODE, f"The odata.maxpagesize preference '{value}' is not an integer."
        ) from None
    if size < 1:
        raise ODataError(
            400, ODATA_REQUEST_CODE, f"The odata.maxpagesize preference must be a positive integer; got {size}."
        )
    # Learn, "Page results": "Max page size requests larger than 5,000 are ignored" (so not echoed either);
    # the page is the default 5,000 rows.
    return size if size <= MAX_PAGE_SIZE else None


def _split_outside_quotes(text: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]
