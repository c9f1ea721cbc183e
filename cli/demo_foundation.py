"""The foundation part of ``commsuite demo``: schema, seed data, and the Web API client at work.

Each step talks to the emulator over HTTP through the same client the bridge and
the Functions app use, so what the demo shows is what runs against a real
Dataverse environment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dataverse_schema
from connectors.dataverse import AlternateKey, DataverseClient, RecordId, bind, deterministic_id, odata
from connectors.dataverse.schema_apply import apply_schema
from dataverse_schema import navigation
from dataverse_schema.names import Contact, Extension, PhoneCall, PhoneLine, TelephonySystem
from domain.digits import to_ascii_digits, to_persian_digits
from domain.number_index import NumberIndex
from domain.numbers import NumberPlan, normalise
from emulator.seed import seed
from emulator.server import EmulatorServer
from emulator.server.faults import FaultPlan, ServiceProtection
from services.matching.sync import NumberSync

DEMO_SYSTEM_KEY = "tehran-hq"


@dataclass
class Outcome:
    """What the foundation steps did, for the demo's summary."""

    lines: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str, result: str) -> None:
        self.lines.append((what, result))


Say = Callable[[str], None]


def run_foundation(
    server: EmulatorServer, client: DataverseClient, out_dir: Path, say: Say, *, solution_target: str = "online"
) -> Outcome:
    """The foundation steps; ``solution_target`` is the ``solution build --target`` the profile imports."""
    outcome = Outcome()
    who = client.whoami()
    say(f"WhoAmI: user {who['UserId']} (server version {client.features.version})")
    _apply_schema(client, outcome, say)
    _seed(server, outcome, say)
    _build_solution(out_dir, outcome, say, solution_target)
    _configure_telephony(client, outcome, say)
    index = _match_numbers(client, outcome, say)
    _bulk_extensions(client, outcome, say)
    _idempotent_call(client, index, outcome, say)
    if server.profile.features.service_protection:
        _throttled_burst(server, client, outcome, say)
    else:
        say("service protection: none on premises (the limits are Dataverse online's); no 429 storm to show")
        outcome.add("429 storm", "skipped: on-premises servers have no service protection limits")
    return outcome


def _apply_schema(client: DataverseClient, outcome: Outcome, say: Say) -> None:
    tables = list(dataverse_schema.TABLES.values())
    first = apply_schema(client, tables)
    say(f"schema apply: created {len(first.created)} components, updated {len(first.updated)}")
    second = apply_schema(client, tables)
    say(f"schema apply again: {'no changes' if not second.changed else f'{len(second.created)} created!'}")
    outcome.add(
        "schema apply",
        f"{len(first.created)} components created; second run changed nothing"
        if not second.changed
        else "second run changed something (not idempotent)",
    )


def _seed(server: EmulatorServer, outcome: Outcome, say: Say) -> None:
    report = seed(server.store)
    total = sum(report.created.values()) + sum(report.existing.values())
    say("seed: " + ", ".join(f"{n} {t}" for t, n in sorted({**report.existing, **report.created}.items())))
    outcome.add("seed data", f"{total} records (contacts, accounts, leads, users, teams)")


def _build_solution(out_dir: Path, outcome: Outcome, say: Say, target: str) -> None:
    from solution.builder import build_package, write_package
    from solution.schema_components import solution_schema
    from solution.version import package_version, solution_version

    version = solution_version(package_version())
    paths = [
        write_package(build_package(solution_schema(), version=version, managed=m, target=target), out_dir / "dist")
        for m in (False, True)
    ]
    for path in paths:
        say(f"solution: {path} ({path.stat().st_size // 1024} KiB)")
    outcome.add("solution zip", f"{', '.join(p.name for p in paths)} (target {target})")


def _configure_telephony(client: DataverseClient, outcome: Outcome, say: Say) -> None:
    body = {
        TelephonySystem.NAME: "Tehran head office",
        TelephonySystem.COUNTRYCODE: "98",
        TelephonySystem.CITYCODE: "21",
        TelephonySystem.LINERELEASEPREFIX: "9",
        TelephonySystem.MINIMUMDIGITS: 5,
    }
    key = AlternateKey({TelephonySystem.SYSTEMKEY: DEMO_SYSTEM_KEY})
    client.upsert(TelephonySystem.SET, key, body)
    client.upsert(TelephonySystem.SET, key, body)
    count = client.count(TelephonySystem.SET, odata.eq(TelephonySystem.SYSTEMKEY, DEMO_SYSTEM_KEY))
    say(f"telephony system '{DEMO_SYSTEM_KEY}' upserted twice by its key: {count} record")
    outcome.add("upsert by alternate key", f"2 upserts -> {count} record")


def _match_numbers(client: DataverseClient, outcome: Outcome, say: Say) -> NumberIndex:
    plan = NumberPlan(country_code=98, city_code="21", line_release_prefix="9")
    numbers = NumberSync(client, "demo", plan)  # the declared tables, loaded as the bridge and Functions do
    before = client.stats.requests
    numbers.refresh_now()
    index = numbers.index
    say(
        f"number index: {len(index)} numbers from {index.record_count} records "
        f"in {client.stats.requests - before} requests"
    )
    samples = list(
        client.query(
            Contact.SET,
            select=[Contact.FULLNAME, Contact.MOBILEPHONE],
            filter=odata.startswith(Contact.MOBILEPHONE, "09"),
            top=3,
        )
    )
    matched = 0
    for contact in samples:
        typed = _as_a_caller_id_box_would(contact[Contact.MOBILEPHONE])
        number = normalise(typed, plan)
        match = index.lookup(number) if number else None
        found = bool(match and match.best and match.best.record_id == contact[Contact.CONTACTID])
        matched += found
        say(f"  caller {typed!r} -> {contact[Contact.FULLNAME]} ({'matched' if found else 'NOT matched'})")
    outcome.add(
        "number matching",
        f"{len(index)} numbers indexed; {matched}/{len(samples)} sample callers matched without a query",
    )
    return index


def _as_a_caller_id_box_would(number: str) -> str:
    digits = "".join(ch for ch in to_ascii_digits(number) if ch.isdigit())
    national = "0" + digits[-10:]
    return to_persian_digits(national)


def _bulk_extensions(client: DataverseClient, outcome: Outcome, say: Say) -> None:
    system = client.retrieve(
        TelephonySystem.SET,
        AlternateKey({TelephonySystem.SYSTEMKEY: DEMO_SYSTEM_KEY}),
        select=[TelephonySystem.TELEPHONYSYSTEMID],
    )
    system_bind = bind(Extension.TELEPHONYSYSTEMID_NAV, TelephonySystem.SET, system[TelephonySystem.TELEPHONYSYSTEMID])
    rows = [
        (
            RecordId(deterministic_id(Extension.TABLE, DEMO_SYSTEM_KEY, str(n))),
            {
                Extension.NAME: f"Extension {n}",
                Extension.NUMBER: str(n),
                Extension.SYSTEMKEY: DEMO_SYSTEM_KEY,
                **system_bind,
            },
        )
        for n in range(200, 700)
    ]
    before = client.stats.requests
    client.upsert_multiple(Extension.SET, Extension.TABLE, rows)
    requests_used = client.stats.requests - before
    count = client.count(Extension.SET)
    how = "UpsertMultiple" if client.features.bulk_messages else "$batch change sets"
    say(f"bulk: {len(rows)} extensions upserted by {how} in {requests_used} request(s); table holds {count}")
    outcome.add("bulk upsert", f"{len(rows)} records in {requests_used} request(s)")


def _idempotent_call(client: DataverseClient, index: NumberIndex, outcome: Outcome, say: Say) -> None:
    contact = next(client.query(Contact.SET, select=[Contact.FULLNAME, Contact.MOBILEPHONE], top=1))
    key = AlternateKey({PhoneCall.SYSTEMKEY: DEMO_SYSTEM_KEY, PhoneCall.PBXCALLID: "1732251600.42"})
    body = {
        PhoneCall.SUBJECT: f"Incoming call from {contact[Contact.FULLNAME]}",
        PhoneCall.DIRECTIONCODE: False,
        PhoneCall.PHONENUMBER: contact[Contact.MOBILEPHONE],
        PhoneCall.ANSWERED: True,
        PhoneCall.TALKSECONDS: 95,
        **bind(navigation.regarding(Contact.TABLE, PhoneCall.TABLE), Contact.SET, contact[Contact.CONTACTID]),
    }
    for _ in range(3):
        client.upsert(PhoneCall.SET, key, body)
    count = client.count(PhoneCall.SET, odata.eq(PhoneCall.PBXCALLID, "1732251600.42"))
    say(f"phone call upserted 3 times by its PBX call id: {count} activity")
    outcome.add("idempotent activity", f"3 replays -> {count} phone call")


def _throttled_burst(server: EmulatorServer, client: DataverseClient, outcome: Outcome, say: Say) -> None:
    server.faults.replace_plan(FaultPlan(limits=ServiceProtection(requests_per_window=40, window_s=2.0)))
    say("service protection: 40 requests per 2 s; sending 100 writes one by one")
    before_throttled = client.stats.throttled
    started = time.monotonic()
    for n in range(100):
        key = AlternateKey({PhoneLine.SYSTEMKEY: DEMO_SYSTEM_KEY, PhoneLine.LINEID: f"L{n}"})
        client.upsert(PhoneLine.SET, key, {PhoneLine.NAME: f"Line {n}", PhoneLine.NUMBER: f"+98218888{n:04d}"})
    server.faults.replace_plan(FaultPlan())
    throttled = client.stats.throttled - before_throttled
    count = client.count(PhoneLine.SET)
    say(
        f"  {throttled} answers were 429; the client waited Retry-After and resent: {count}/100 stored "
        f"in {time.monotonic() - started:.1f} s"
    )
    outcome.add("429 storm", f"{throttled} throttled replies, {count}/100 records stored, none lost")
