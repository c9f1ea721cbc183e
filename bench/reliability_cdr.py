"""The probe PBX's call detail records: a ``Cdr`` event per call (as ``cdr_manager`` sends it) and a
``Master.csv`` row (as ``cdr_csv`` writes it), so a bridge can recover the calls no live event of
which reached it (issue 11, §2).

The AMI emulator already makes a ``Cdr`` event at a call's last hang-up (its duration, billable seconds,
disposition and first channel); :class:`CdrBook` adds what Asterisk's record also names: the other
party's channel, the caller ID and the start / answer / end times (UTC, as with ``usegmtime``), and writes
the same record to ``Master.csv`` in ``cdr_csv``'s field order with ``loguniqueid`` and ``loguserfield``
on (Asterisk's ``cdr/cdr_csv.c``). The row is written whether or not a bridge is logged in: Asterisk
writes its CDRs whatever AMI does.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime
from pathlib import Path

Headers = list[tuple[str, str]]
_TIME = "%Y-%m-%d %H:%M:%S"


class CdrBook:
    """Follows the channels of each call; completes the emulator's ``Cdr`` events and writes their rows."""

    def __init__(self, master_csv: Path) -> None:
        self.master_csv = master_csv
        self._channels: dict[str, list[tuple[str, str]]] = {}  # linkedid → [(uniqueid, channel name)]
        self.rows = 0

    def follow(self, headers: Headers) -> None:
        fields = dict(headers)
        if fields.get("Event") == "Newchannel":
            linkedid = fields.get("Linkedid") or fields.get("Uniqueid", "")
            self._channels.setdefault(linkedid, []).append((fields.get("Uniqueid", ""), fields.get("Channel", "")))

    def complete(self, cdr: Headers) -> Headers:
        """The emulator's ``Cdr`` event with the other party's channel and the times; its row written."""
        fields = dict(cdr)
        uniqueid = fields.get("UniqueID", "")
        legs = self._channels.pop(uniqueid, [])
        other = next((name for leg, name in legs if leg != uniqueid), "")
        end = time.time()
        duration, billable = int(fields.get("Duration", "0")), int(fields.get("BillableSeconds", "0"))
        answered = fields.get("Disposition") == "ANSWERED"
        source = fields.get("Source", "")
        record = {
            "AccountCode": "",
            "Source": source,
            "Destination": fields.get("Destination", ""),
            "DestinationContext": fields.get("DestinationContext", ""),
            "CallerID": f'"" <{source}>',
            "Channel": fields.get("Channel", ""),
            "DestinationChannel": other,
            "LastApplication": "Dial",
            "LastData": other,
            "StartTime": _clock(end - duration),
            "AnswerTime": _clock(end - billable) if answered else "",
            "EndTime": _clock(end),
            "Duration": str(duration),
            "BillableSeconds": str(billable),
            "Disposition": fields.get("Disposition", ""),
            "AMAFlags": "DOCUMENTATION",
            "UniqueID": uniqueid,
            "UserField": "",
        }
        self._append(record)
        return [("Event", "Cdr"), ("Privilege", "cdr,all"), *record.items()]

    def _append(self, record: dict[str, str]) -> None:
        """One row as cdr_csv writes it: every field quoted, an unset answer time an empty unquoted field."""
        cells = []
        for name, value in record.items():
            if name in ("Duration", "BillableSeconds") or (name == "AnswerTime" and not value):
                cells.append(value)
            else:
                buffer = io.StringIO()
                csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="").writerow([value])
                cells.append(buffer.getvalue())
        with open(self.master_csv, "a", encoding="utf-8") as file:
            file.write(",".join(cells) + "\n")
        self.rows += 1


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime(_TIME)
