"""File names in whatever bytes the server listed them (CALL-28, -37, -38).

A PBX writes UTF-8 names, but a Windows recorder PC or an old Issabel box may name a file in
Windows-1256 or Latin-1. Such a name is neither refused nor "repaired": it is decoded as UTF-8 with
``surrogateescape`` (what :func:`os.fsdecode` does on Linux), so every byte that is not UTF-8 becomes a
lone surrogate U+DC80..U+DCFF and :func:`name_to_wire` gives back the exact bytes the server listed.
The store opens the file by those bytes.

A surrogate must never leave the bridge: :func:`shown` replaces each with U+FFFD for Dataverse and for
error messages, and :func:`wire_repr` names the raw bytes in log lines.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from connectors.recordings.base import RecordingFile

log = logging.getLogger(__name__)

_ESCAPED = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_REMEMBERED = 4096


def name_from_wire(raw: bytes) -> str:
    """``raw`` as text: UTF-8, with every other byte kept as a lone surrogate (reversible)."""
    return raw.decode("utf-8", "surrogateescape")


def name_to_wire(name: str) -> bytes:
    """The bytes ``name`` was listed as (UTF-8 for an ordinary name)."""
    return name.encode("utf-8", "surrogateescape")


def is_escaped(name: str) -> bool:
    """True when ``name`` holds bytes that were not UTF-8."""
    return _ESCAPED.search(name) is not None


def is_escaped_char(ch: str) -> bool:
    """True for the one-character stand-in of a byte that was not UTF-8."""
    return "\udc80" <= ch <= "\udcff"


def shown(text: str) -> str:
    """``text`` fit to write or print: every surrogate becomes U+FFFD (the raw name stays in the store)."""
    return _SURROGATE.sub("\ufffd", text)


def shown_file(file: RecordingFile) -> RecordingFile:
    """``file`` as Dataverse may hold it: name, folder and path :func:`shown`."""
    if not any(_SURROGATE.search(text) for text in (file.name, file.folder, file.path)):
        return file
    return dataclasses.replace(file, name=shown(file.name), folder=shown(file.folder), path=shown(file.path))


def wire_repr(name: str) -> str:
    """``name`` for a log line: ASCII only, the raw bytes when it has bytes that were not UTF-8."""
    try:
        return ascii(name_to_wire(name)) if is_escaped(name) else ascii(name)
    except UnicodeEncodeError:  # a surrogate that no decoding of ours made
        return ascii(name)


class OddNames:
    """Warns once per file about names that are not UTF-8, so a folder listed for every call does not
    repeat the same line; forgets after :data:`_REMEMBERED` names."""

    def __init__(self, system: str) -> None:
        self._system = system
        self._seen: set[str] = set()

    def note(self, folder: str, names: list[str]) -> None:
        """One WARNING for each name in ``names`` (as listed in ``folder``) not seen before."""
        for name in names:
            key = f"{folder}/{name}"
            if key in self._seen:
                continue
            if len(self._seen) >= _REMEMBERED:
                self._seen.clear()
            self._seen.add(key)
            log.warning(
                "a recording file name is not UTF-8 (Windows-1256 or Latin-1?): %s in %s; it is matched like any "
                "name, read by its exact bytes, and written to Dataverse as %s",
                wire_repr(name),
                ascii(shown(folder)),
                ascii(shown(name)),
                extra={"system": self._system, "operation": "list"},
            )
