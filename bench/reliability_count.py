"""The reliability probe's counting (bench/reliability.py): what became of each placed call, and the table.

A call is found in Dataverse by its number (each placed call has its own). A missing call is lost, on the
wire at a kill or stop, or never reached (no event of it reached a logged-in bridge); a call logged twice
is duplicated. Calls logged from the PBX's call detail record (subject marked "from the PBX's call record")
are counted apart: ``from Cdr`` those whose ``Cdr`` event reached a bridge (only their end did), ``from CSV``
the others, read from ``Master.csv`` at a login (they ran while no bridge was logged in, or their events
were on the wire when it was killed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.reliability_bridge import AMI_KEY, SMDR_KEY, BridgeProcess
from bench.reliability_lines import PlacedCall
from connectors.dataverse import DataverseClient, odata
from dataverse_schema.names import PhoneCall

#: Events of a call's end: a bridge that saw only these of a call knows none of it (its channels are unknown).
AMI_END_EVENTS = frozenset({"HangupRequest", "SoftHangupRequest", "BridgeLeave", "Hangup", "ExtensionStatus", "Cdr"})
#: The subject's mark of a call logged from the PBX's call detail record only (domain.calls.subject).
FROM_CDR_MARK = "(from the PBX's call record)"
WIRE_S = 1.0  # an AMI call's events this close to a kill or stop were on the wire at it
LINKS = {"ami": AMI_KEY, "smdr": SMDR_KEY}


@dataclass
class LinkCount:
    """One row of the table: what became of one link's calls in one scenario."""

    scenario: str
    link: str
    placed: int = 0
    logged: int = 0
    lost: int = 0
    duplicated: int = 0
    on_wire: int = 0  # lost, but on the wire when the bridge was killed or stopped
    never_reached: int = 0  # lost, but no event of it reached a logged-in bridge
    end_only: int = 0  # of never_reached: only hang-ups of its unseen channels reached a bridge, after a login
    from_cdr: int = 0  # logged from the PBX's record, its Cdr event having reached a bridge (only its end did)
    from_csv: int = 0  # logged from the PBX's record read from Master.csv at a login (its Cdr reached no bridge)
    marked: int = 0  # numbers whose record is marked as logged from the PBX's call record
    marked_seen_live: int = 0  # of marked: the bridge had followed the call live (its record written over)
    accepted_then_lost: int = 0  # lost although the bridge had accepted an update of it (a bug whatever else)
    unexpected: int = 0  # records whose number the probe never placed
    incomplete: int = 0  # logged but not closed as completed
    end_on_wire: int = 0  # not closed, but its end record was on the wire when the bridge was killed or stopped
    lost_numbers: list[str] = field(default_factory=list)
    duplicated_numbers: list[str] = field(default_factory=list)
    marked_seen_live_numbers: list[str] = field(default_factory=list)


@dataclass
class ScenarioRun:
    scenario: str
    counts: list[LinkCount]
    stops: list[str]
    seconds: float
    placed: dict[str, PlacedCall] = field(default_factory=dict)
    stop_times: list[float] = field(default_factory=list)


def count_calls(scenario: str, client: DataverseClient, placed, bridge: BridgeProcess) -> list[LinkCount]:
    """One row per link: what became of the calls ``placed`` in Dataverse."""
    fields = [PhoneCall.SYSTEMKEY, PhoneCall.PHONENUMBER, PhoneCall.RAWNUMBER, PhoneCall.STATECODE, PhoneCall.SUBJECT]
    records = list(
        client.query(PhoneCall.SET, select=fields, filter=odata.in_(PhoneCall.SYSTEMKEY, list(LINKS.values())))
    )
    seen = _Seen(
        acked={(system, _tail(number)) for _, system, number, _ in bridge.acks()},
        live={(system, _tail(number)) for _, system, number, state in bridge.acks() if not state.endswith("+cdr")},
        journalled=Counter(_tail(number) for number in bridge.journalled_numbers()),
        stops=[stop.at for stop in bridge.stops],
    )
    counts = []
    for position, (link, key) in enumerate(LINKS.items()):
        mine = [r for r in records if r[PhoneCall.SYSTEMKEY] == key]
        expected = {_tail(pair[position].number): pair[position] for pair in placed}
        counts.append(_count_link(LinkCount(scenario, link, placed=len(placed)), key, mine, expected, seen))
    return counts


@dataclass
class _Seen:
    """What the bridge took in: updates it accepted, SMDR lines it journalled, and when it was stopped."""

    acked: set[tuple[str, str]]
    live: set[tuple[str, str]]  # accepted updates of calls the bridge followed live
    journalled: Counter[str]
    stops: list[float]


def _count_link(row: LinkCount, key: str, mine: list[dict], expected: dict[str, PlacedCall], seen: _Seen) -> LinkCount:
    per_number = Counter(_number(r) for r in mine)
    marked = {_number(r) for r in mine if FROM_CDR_MARK in (r.get(PhoneCall.SUBJECT) or "")}
    for tail, call in expected.items():
        if per_number[tail] == 0:
            journalled = row.link == "smdr" and tail in seen.journalled
            _count_lost(row, call, seen.stops, (key, tail) in seen.acked, journalled)
            continue
        row.logged += 1
        if tail in marked:  # logged from the PBX's call record: by its Cdr event, or read from Master.csv
            if (key, tail) in seen.live:  # a live call written over from its record: a bug
                row.marked_seen_live += 1
                row.marked_seen_live_numbers.append(call.number)
            cdr_reached = any(what == "Cdr" and delivered for _, what, delivered in call.trail)
            row.from_cdr += cdr_reached
            row.from_csv += not cdr_reached
        row.duplicated += per_number[tail] - 1
        if per_number[tail] > 1:
            row.duplicated_numbers.append(call.number)
    row.marked = len(marked)
    row.unexpected = sum(n for tail, n in per_number.items() if tail not in expected)
    for record in mine:
        if record.get(PhoneCall.STATECODE) == 1:
            continue
        call = expected.get(_number(record))
        if call is not None and row.link == "smdr" and _end_on_wire(call, seen.stops, seen.journalled[_number(record)]):
            row.end_on_wire += 1
        else:
            row.incomplete += 1
    return row


def _number(record: dict) -> str:
    return _tail(record[PhoneCall.RAWNUMBER] or record[PhoneCall.PHONENUMBER] or "")


def _count_lost(row: LinkCount, call: PlacedCall, stops: list[float], accepted: bool, journalled: bool) -> None:
    """Why ``call`` is missing: it reached no bridge, it was on the wire at a kill or stop, or it was lost.

    An SMDR record the bridge never journalled, sent before a stop, was still in the socket when the bridge
    died (the bridge reads in order and journals before parsing). AMI has no journal: an AMI call the bridge
    never accepted an update of counts as on the wire when a stop came within WIRE_S of its events.
    """
    if call.sent == 0 or _only_its_end_reached(call):
        row.never_reached += 1
        row.end_only += call.sent > 0
    elif _on_wire(call, stops, accepted, journalled):
        row.on_wire += 1
    else:
        row.lost += 1
        row.accepted_then_lost += accepted
        row.lost_numbers.append(call.number)


def _only_its_end_reached(call: PlacedCall) -> bool:
    """An AMI call that began and was answered while no bridge was logged in and ended just after a login,
    before the login snapshot listed channels: only hang-ups of channels it never saw reached the bridge."""
    delivered = {what for _, what, was_delivered in call.trail if was_delivered}
    return call.link == "ami" and bool(delivered) and delivered <= AMI_END_EVENTS


def _end_on_wire(call: PlacedCall, stops: list[float], lines_journalled: int) -> bool:
    """An SMDR call whose last record the bridge never journalled although a kill or stop came after it was
    sent: it was in the socket when the bridge went (the console prints a record once)."""
    return lines_journalled < call.parts and any(at >= (call.last_sent or 0.0) for at in stops)


def _on_wire(call: PlacedCall, stops: list[float], accepted: bool, journalled: bool) -> bool:
    first, last = call.first_sent or 0.0, call.last_sent or 0.0
    if call.link == "smdr":
        return not journalled and any(at >= first for at in stops)
    return not accepted and any(first - WIRE_S <= at <= last + WIRE_S for at in stops)


def trail(run: ScenarioRun, number: str) -> str:
    """What of a lost call reached a logged-in bridge, with times relative to the nearest stop."""
    call = run.placed.get(number)
    if call is None or not call.trail:
        return "nothing sent"
    nearest = min(run.stop_times, key=lambda at: abs(at - call.trail[0][0]), default=call.trail[0][0])
    parts = [f"{what}{'' if delivered else ' (nobody)'} {at - nearest:+.2f}s" for at, what, delivered in call.trail]
    return "; ".join(parts) + " (times from the nearest stop)"


def _tail(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return digits[-7:]


COLUMNS = (
    ("scenario", "scenario"),
    ("link", "link"),
    ("placed", "placed"),
    ("logged", "logged"),
    ("lost", "lost"),
    ("duplicated", "duplicated"),
    ("on wire at kill/stop", "on_wire"),
    ("never reached", "never_reached"),
    ("from Cdr", "from_cdr"),
    ("from CSV", "from_csv"),
    ("marked, seen live", "marked_seen_live"),
    ("not closed", "incomplete"),
    ("end on wire", "end_on_wire"),
    ("unexpected", "unexpected"),
)


def table(runs: list[ScenarioRun]) -> str:
    rows = [[title for title, _ in COLUMNS]]
    rows += [[str(getattr(count, attr)) for _, attr in COLUMNS] for run in runs for count in run.counts]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)
