"""``commsuite calls replay``: the calls the bridge would log from a captured PBX stream (CALL-21, -13, -23).

Reads an AMI session dump (CRLF or LF line ends, client turns included), a
Panasonic SMDR log, or a caller-ID box log, runs it through the same framers,
parsers, translators and call tracker the bridge uses, and prints one JSON
line per call it would log. Nothing is written to Dataverse. Lines that
cannot be read are reported on stderr and never stop the replay.

A caller-ID box prints no times, so its log carries the receive time the
bridge stores with each raw message: ``2024-01-02T09:03:00+03:30 L1R01@``.
AMI times come from each event's ``Timestamp`` header (``timestampevents =
yes`` in manager.conf); a call with an event that carries none is printed
with empty times (``start``, ``ring_seconds``, ``talk_seconds``, ``hold_seconds`` null), never
with made-up ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.pbx.ami.framing import AmiFramer
from connectors.pbx.ami.message import AmiMessage, Banner, parse_frame
from connectors.pbx.ami.settings import ChannelRules
from connectors.pbx.callerid import PARSERS, CallerIdStream
from connectors.pbx.smdr import BadFrame, Calendar, DateOrder, SmdrProfile, SmdrStream
from domain.calls.events import CallEvent, Direction
from domain.calls.record import CallRecord
from domain.calls.tracker import DEFAULT_STALE_AFTER, CallTracker
from domain.digits import digit_setting
from domain.numbers import NumberKind, NumberPlan, normalise
from domain.zones import zone as time_zone

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CID_SILENCE = timedelta(hours=1)


class ReplayProblem:
    """One line or frame that could not be read: where, why, and the raw text."""

    def __init__(self, where: str, reason: str, raw: str):
        self.where, self.reason, self.raw = where, reason, raw

    def as_json(self) -> str:
        return json.dumps({"problem": self.reason, "at": self.where, "raw": self.raw}, ensure_ascii=False)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("calls", help="check a PBX's call output")
    actions = parser.add_subparsers(dest="calls_command", metavar="ACTION", required=True)
    replay = actions.add_parser("replay", help="print, as JSON lines, the calls a captured stream would log")
    replay.add_argument("file", type=Path, help="the capture (AMI session dump, SMDR log, caller-ID log)")
    replay.add_argument("--format", required=True, choices=("ami", "smdr", "cid"))
    replay.add_argument("--system", default="replay", help="telephony-system key used in call ids")
    replay.add_argument("--model", default="KX-TDA", help="Panasonic model for SMDR (default KX-TDA)")
    replay.add_argument("--date-order", choices=[o.value for o in DateOrder], default="mdy")
    replay.add_argument("--calendar", choices=[c.value for c in Calendar], default="gregorian")
    replay.add_argument("--timezone", default="UTC", help="the PBX's zone for SMDR times, e.g. Asia/Tehran")
    replay.add_argument("--dialect", choices=("auto", "legacy", "modern"), default="auto", help="AMI dialect")
    replay.add_argument(
        "--trunk",
        action="append",
        default=[],
        metavar="PATTERN",
        help="AMI trunk channel pattern, e.g. 'PJSIP/provider*' (repeatable; replaces the defaults DAHDI/* and IAX2/*)",
    )
    replay.add_argument(
        "--inbound-context",
        action="append",
        default=[],
        metavar="CONTEXT",
        help="dialplan context that marks an AMI channel as a trunk (repeatable; adds to the FreePBX defaults)",
    )
    replay.add_argument("--device", choices=sorted(PARSERS), default="segal", help="caller-ID box format")
    replay.add_argument("--country", type=int, default=98, help="country calling code (default 98)")
    replay.add_argument("--city", default="21", help="city code local numbers belong to (default 21)")
    replay.add_argument("--prefix", default="", help="line-release prefix stripped from dialled numbers")
    replay.add_argument("--min-digits", type=int, default=5, help="shorter numbers are extensions")
    replay.add_argument("--hidden", default="", help="hidden extensions, comma-separated (DISA, ring groups)")
    replay.set_defaults(func=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    try:
        plan = NumberPlan(args.country, args.city, args.prefix, args.min_digits)
        zone = time_zone(args.timezone)
    except ValueError as exc:
        print(f"commsuite calls replay: {exc}", file=sys.stderr)
        return 2
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"commsuite calls replay: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    problems: list[ReplayProblem] = []
    untimed: set[str] = set()
    if args.format == "smdr":
        profile = SmdrProfile(args.model, DateOrder(args.date_order), Calendar(args.calendar), zone)
        events = smdr_events(data, args.system, profile, problems)
    elif args.format == "ami":
        try:
            rules = channel_rules(args.trunk, args.inbound_context)
        except ValueError as exc:
            print(f"commsuite calls replay: {exc}", file=sys.stderr)
            return 2
        events = ami_events(data, args.system, args.dialect, problems, rules, untimed=untimed)
    else:
        events = cid_events(data, args.system, args.device, problems)
    hidden = {args.system: [digit_setting(e) for e in args.hidden.split(",") if e.strip()]}
    for record in logged_calls(events, hidden):
        line = call_json(record, plan, is_untimed=record.call_id in untimed)
        if line is not None:
            print(line)
    for problem in problems:
        print(problem.as_json(), file=sys.stderr)
    return 0


def smdr_events(data: bytes, system: str, profile: SmdrProfile, problems: list[ReplayProblem]) -> list[CallEvent]:
    stream = SmdrStream(system, profile, strip_telnet=True)
    events: list[CallEvent] = []
    for number, output in enumerate([*stream.feed(data), *stream.flush()], start=1):
        if isinstance(output.parsed, BadFrame):
            problems.append(ReplayProblem(f"line {number}", output.parsed.reason, output.frame.text))
        events += output.events
    return events


def channel_rules(trunks: list[str], inbound_contexts: list[str]) -> ChannelRules:
    """The AMI channel rules for a replay: the defaults, with the site's trunks and inbound contexts."""
    defaults = ChannelRules()
    for value in [*trunks, *inbound_contexts]:
        if not value.strip() or any(ch.isspace() for ch in value):
            raise ValueError(f"channel pattern or context {value!r} is empty or has spaces")
    return ChannelRules(
        trunk_channels=tuple(trunks) or defaults.trunk_channels,
        inbound_contexts=(*defaults.inbound_contexts, *inbound_contexts),
    )


def ami_events(
    data: bytes,
    system: str,
    dialect: str,
    problems: list[ReplayProblem],
    rules: ChannelRules | None = None,
    *,
    untimed: set[str] | None = None,
) -> list[CallEvent]:
    """The call events of an AMI dump; the ids of calls with an event lacking ``Timestamp`` go into
    ``untimed`` (their times are only the order the events came in)."""
    from connectors.pbx.ami.dialect_legacy import LegacyTranslator
    from connectors.pbx.ami.dialect_modern import ModernTranslator

    frames = AmiFramer().feed(data.rstrip(b"\r\n") + b"\r\n\r\n")
    modern = dialect == "modern" or (dialect == "auto" and b"Linkedid:" in data)
    for frame in frames:
        parsed = parse_frame(frame)
        if isinstance(parsed, Banner) and dialect == "auto":
            modern = parsed.is_modern
    translator = (ModernTranslator if modern else LegacyTranslator)(system, rules or ChannelRules())
    received_at, events = _EPOCH, []
    for number, frame in enumerate(frames, start=1):
        if frame.lstrip().lower().startswith(b"action:"):
            continue  # our own side of the session
        parsed = parse_frame(frame)
        if isinstance(parsed, Banner):
            continue
        if not isinstance(parsed, AmiMessage):
            problems.append(ReplayProblem(f"frame {number}", parsed.reason, frame.decode("utf-8", "replace")))
            continue
        try:
            new = translator.translate(parsed, received_at)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(
                ReplayProblem(f"frame {number}", f"event not understood ({exc})", frame.decode("utf-8", "replace"))
            )
            continue
        received_at = max([received_at, *(e.at for e in new)])
        if untimed is not None and not parsed.get("Timestamp").strip():
            untimed.update(e.call_id for e in new if e.call_id)
        events += new
    return events


def cid_events(data: bytes, system: str, device: str, problems: list[ReplayProblem]) -> list[CallEvent]:
    stream = CallerIdStream(system, device)
    events: list[CallEvent] = []
    now = None
    for number, raw_line in enumerate(data.splitlines(), start=1):
        if not raw_line.strip():
            continue
        stamp, _, message = raw_line.strip().partition(b" ")
        try:
            now = datetime.fromisoformat(stamp.decode("ascii"))
            if now.tzinfo is None:
                raise ValueError("the receive time has no UTC offset")
        except (UnicodeDecodeError, ValueError) as exc:
            problems.append(
                ReplayProblem(f"line {number}", f"no receive time: {exc}", raw_line.decode("utf-8", "replace"))
            )
            continue
        events += stream.tick(now)
        for output in stream.feed(message + b"\n", now):
            if isinstance(output.parsed, BadFrame):
                problems.append(ReplayProblem(f"line {number}", output.parsed.reason, output.frame.text))
            events += output.events
    if now is not None:
        events += stream.tick(now + _CID_SILENCE)
    return events


def logged_calls(events: Iterable[CallEvent], hidden: dict[str, list[str]]) -> list[CallRecord]:
    """Fold every event; end calls whose hang-up never came, as the bridge's sweep would."""
    tracker = CallTracker(hidden_extensions=hidden)
    finals: dict[str, CallRecord] = {}
    last = _EPOCH
    for event in events:
        last = max(last, event.at)
        update = tracker.apply(event)
        if update is not None and update.record.is_ended:
            finals[update.record.key] = update.record
    for update in tracker.sweep(last + DEFAULT_STALE_AFTER):
        finals[update.record.key] = update.record
    return sorted(finals.values(), key=lambda r: (r.started_at, r.key))


def call_json(record: CallRecord, plan: NumberPlan, *, is_untimed: bool = False) -> str | None:
    """One JSON line, or ``None`` for a call the bridge does not log (internal, short number: CALL-13).

    ``is_untimed``: the capture gave no times for this call, so they are printed empty."""
    if record.direction is Direction.INTERNAL:
        return None
    number = normalise(record.external_number, plan, dialled=record.direction is Direction.OUTBOUND)
    if number is not None and number.kind is NumberKind.INTERNAL:
        return None
    return json.dumps(
        {
            "call_id": record.call_id,
            "direction": record.direction.value if record.direction else None,
            "outcome": record.outcome.value if record.outcome else None,
            "number": number.e164 if number else None,
            "raw_number": record.external_number,
            "name": record.external_name,
            "extension": record.extension,
            "line": record.line,
            "start": None if is_untimed else record.started_at.isoformat(),
            "ring_seconds": None if is_untimed else record.ring_seconds,
            "talk_seconds": None if is_untimed else record.talk_seconds,
            "hold_seconds": None if is_untimed else record.hold_seconds,
        },
        ensure_ascii=False,
    )
