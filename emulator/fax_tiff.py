"""A hand-built received-fax TIFF: blank G4 pages with the tags hfaxd reads (no imaging library needed).

hfaxd lists a ``recvq`` file only if it looks like a fax image: one bit per
sample, CCITT G3/G4 compression, min-is-white (``ifax/HylaFAX:hfaxd/RecvQueue.c++``
isFAXImage). It reads the sender's TSI from the first line of
ImageDescription and the caller id number and name from the next lines, and
counts pages by IFDs. A blank G4 row coded against a blank reference row is a
single ``V0`` bit, so a blank page of N rows is N one-bits and the
end-of-facsimile-block code (T.6).
"""

from __future__ import annotations

import struct

WIDTH, ROWS = 1728, 64
_EOFB = "000000000001" * 2


def _g4_blank_page(rows: int) -> bytes:
    bits = "1" * rows + _EOFB
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def _ifd(entries: list[tuple[int, int, int, int | bytes]], data_at: int) -> tuple[bytes, bytes]:
    """Entries (tag, type, count, value-or-bytes); bytes longer than 4 go after the IFD at ``data_at``."""
    head, extra = struct.pack("<H", len(entries)), b""
    extra_at = data_at + 2 + 12 * len(entries) + 4
    for tag, kind, count, value in sorted(entries):
        if isinstance(value, bytes) and len(value) > 4:
            head += struct.pack("<HHII", tag, kind, count, extra_at + len(extra))
            extra += value + b"\0" * (len(value) % 2)
        elif isinstance(value, bytes):
            head += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
        elif kind == 3:
            head += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            head += struct.pack("<HHII", tag, kind, count, value)
    return head, extra


def received_fax_tiff(tsi: str, caller_number: str, caller_name: str, pages: int = 2) -> bytes:
    """A ``pages``-page blank fax as faxgetty would store it."""
    out = bytearray(b"II*\0" + struct.pack("<I", 8))
    description = f"{tsi}\n{caller_number}\n{caller_name}".encode() + b"\0"
    for page in range(pages):
        strip = _g4_blank_page(ROWS)
        ifd_at = len(out)
        # strip and rationals follow the IFD and its long values; compute offsets after a dry run
        entries = [
            (256, 4, 1, WIDTH),
            (257, 4, 1, ROWS),
            (258, 3, 1, 1),
            (259, 3, 1, 4),
            (262, 3, 1, 0),
            (270, 2, len(description), description),
            (277, 3, 1, 1),
            (278, 4, 1, ROWS),
            (279, 4, 1, len(strip)),
            (282, 5, 1, struct.pack("<II", 204, 1)),
            (283, 5, 1, struct.pack("<II", 98, 1)),
            (296, 3, 1, 2),
            (306, 2, 20, b"2025:01:31 12:00:00\0"),
            (273, 4, 1, 0),
        ]
        head, extra = _ifd(entries, ifd_at)
        strip_at = ifd_at + len(head) + 4 + len(extra)
        entries[-1] = (273, 4, 1, strip_at)
        head, extra = _ifd(entries, ifd_at)
        next_ifd = 0 if page == pages - 1 else strip_at + len(strip) + (len(strip) % 2)
        out += head + struct.pack("<I", next_ifd) + extra + strip + b"\0" * (len(strip) % 2)
    return bytes(out)
