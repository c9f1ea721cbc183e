"""Benchmark the matching index: lookup latency and memory for 1,000,000 numbers (CALL-02, CALL-03, CALL-04).

Run: ``.venv/bin/python bench/number_index.py [numbers] [numbers-per-record] [--rounds N] [--lookups N]
[--no-memory]``.

Builds the index from CRM-shaped rows through the real normalisation: contacts
with ``numbers-per-record`` phone numbers each, every record with its own
modification time and one of 200 owners, plus accounts that share 2 % of the
contacts' numbers (a company's main line on its people), so some lookups are
ambiguous. Lookups are a mix of known numbers (a third of them on an
extension whose user owns records, as the call logger asks), and 10 % unknown
callers. Each lookup is timed on its own with the garbage collector running,
as in the bridge.

The previous implementation (``domain/number_index.py`` as it was at commit
``7d6c60b``, or at ``--before REV``, read from git history) is built from
the same rows and timed in alternating rounds, so both see the same noise
from other work on the machine. Prints per round p50 / p99 / p99.9 / max, the
spread over rounds, and the memory each index holds (tracemalloc).
Targets: lookup < 5 µs (p99), memory < 300 MB for 1,000,000 numbers.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain import number_index  # noqa: E402
from domain.numbers import NumberPlan  # noqa: E402

TABLES = (
    number_index.IndexedTable("contact", ("telephone1", "telephone2", "mobilephone")),
    number_index.IndexedTable("account", ("telephone1", "telephone2")),
    number_index.IndexedTable("lead", ("telephone1", "mobilephone")),
)
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
#: The index before its lookup was made cheaper (issue 3); ``--before`` names another revision.
PREVIOUS_REVISION = "7d6c60b"
SHARED_SHARE = 0.02
UNKNOWN_SHARE = 0.10


class Dataset:
    """Rows to load and the lookups to time, the same for both implementations.

    Rows are made afresh for each load, inside the traced window, so the memory
    figure includes what the index keeps of them (id text, modification time)
    and nothing it lets go.
    """

    def __init__(self, count: int, per_record: int, lookups: int, seed: int = 7):
        self.count, self.seed = count, seed
        self.columns = ("telephone1", "mobilephone", "telephone2")[:per_record]
        self.records = count // per_record
        rng = random.Random(seed)
        self.owners = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(200)]
        self.shared = sorted(rng.sample(range(self.records), int(self.records * SHARED_SHARE)))
        self.queries = [self._query(rng) for _ in range(lookups)]

    def contacts(self):
        rng = random.Random(self.seed + 1)
        per = len(self.columns)
        for i in range(self.records):
            values = {column: self._raw(i * per + j) for j, column in enumerate(self.columns)}
            yield self._guid(rng), values, rng.choice(self.owners), self._modified(rng)

    def accounts(self):
        rng = random.Random(self.seed + 2)
        for i in self.shared:
            values = {"telephone1": self._raw(i * len(self.columns))}
            yield self._guid(rng), values, rng.choice(self.owners), self._modified(rng)

    @staticmethod
    def _guid(rng: random.Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128)))

    @staticmethod
    def _modified(rng: random.Random) -> datetime:
        return EPOCH + timedelta(seconds=rng.randrange(30_000_000))

    def _raw(self, n: int) -> str:
        column = self.columns[n % len(self.columns)]
        return f"0912{n:07d}" if column == "mobilephone" else f"021{30000000 + n:08d}"

    def number_keys(self):
        """Every number key the records carry."""
        return (self._key(n) for n in range(self.records * len(self.columns)))

    def _key(self, n: int) -> int:
        column = self.columns[n % len(self.columns)]
        return 98912_000_0000 + n if column == "mobilephone" else 98213_000_0000 + n

    def _query(self, rng: random.Random) -> tuple[int, str | None]:
        if rng.random() < UNKNOWN_SHARE:
            return 98935_000_0000 + rng.randrange(self.count), None
        owner = rng.choice(self.owners) if rng.random() < 1 / 3 else None
        return self._key(rng.randrange(self.records * len(self.columns))), owner


def build(module, data: Dataset, *, trace: bool = True):
    """The index of ``module`` loaded with ``data``; returns it, the MiB it holds (0 untraced) and the load time."""
    gc.collect()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    index = module.NumberIndex(TABLES, NumberPlan())
    index.load("contact", data.contacts())
    index.load("account", data.accounts())
    load_s = time.perf_counter() - started
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] if trace else 0
    tracemalloc.stop()
    return index, held / 2**20, load_s


def time_round(index, queries: list[tuple[int, str | None]]) -> list[int]:
    """Nanoseconds per lookup, each timed on its own, garbage collector on."""
    lookup, clock = index.lookup, time.perf_counter_ns
    timings = [0] * len(queries)
    for i, (key, owner) in enumerate(queries):
        t0 = clock()
        lookup(key, owner_id=owner)
        timings[i] = clock() - t0
    timings.sort()
    return timings


def percentiles(timings: list[int]) -> tuple[float, float, float, float]:
    n = len(timings)
    return tuple(timings[min(n - 1, int(n * q))] / 1000 for q in (0.50, 0.99, 0.999)) + (timings[-1] / 1000,)


class BareDict:
    """The floor under any index: one ``dict.get`` on a dict holding the same number keys, timed the same way.

    On a machine whose memory is slow, a random probe of a million-entry dict is itself microseconds;
    the index's figures are read against this one.
    """

    def __init__(self, data: Dataset):
        self._entries = dict.fromkeys(data.number_keys())

    def lookup(self, key: int, *, owner_id: str | None = None) -> None:
        return self._entries.get(key)


def load_previous(revision: str) -> ModuleType:
    """``domain/number_index.py`` as it was at ``revision``, read from git history and loaded as a module."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:domain/number_index.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    if source.returncode != 0:
        raise SystemExit(
            f"cannot read domain/number_index.py at {revision}: {source.stderr.strip()} "
            "(the bench needs the repository's history: a full clone)"
        )
    module = ModuleType("number_index_before")
    module.__file__ = f"{revision}:domain/number_index.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up while the class is built
    exec(compile(source.stdout, module.__file__, "exec"), module.__dict__)
    return module


def check_same_answers(before, after, queries: list[tuple[int, str | None]]) -> int:
    """Both implementations must answer every lookup alike; returns how many were ambiguous."""
    ambiguous = 0
    for key, owner in queries:
        old, new = before.lookup(key, owner_id=owner), after.lookup(key, owner_id=owner)
        if (old.best, old.also_matched) != (new.best, new.also_matched):
            raise AssertionError(f"implementations disagree on {key} (owner {owner}): {old} != {new}")
        ambiguous += bool(new.also_matched)
    return ambiguous


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("numbers", type=int, nargs="?", default=1_000_000)
    parser.add_argument("per_record", type=int, nargs="?", default=2, choices=(1, 2, 3))
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds per implementation")
    parser.add_argument("--lookups", type=int, default=200_000, help="lookups per round")
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc (loads about 2x faster)")
    parser.add_argument(
        "--before",
        default=PREVIOUS_REVISION,
        metavar="REV",
        help=f"git revision of the index to compare with (default {PREVIOUS_REVISION})",
    )
    args = parser.parse_args()
    number_index_before = load_previous(args.before)
    data = Dataset(args.numbers, args.per_record, args.lookups)
    built = {}
    for name, module in (("before", number_index_before), ("after", number_index)):
        built[name] = build(module, data, trace=not args.no_memory)
        index, mib, load_s = built[name]
        held = f"{mib:.1f} MiB ({mib * 2**20 / 1e6:.0f} MB) held" if mib else "memory not traced"
        print(
            f"{name:6} : {len(index):,} numbers in {index.record_count:,} records, {held}, load {load_s:.1f} s",
            flush=True,
        )
    ambiguous = check_same_answers(built["before"][0], built["after"][0], data.queries)
    print(
        f"answers : identical for {len(data.queries):,} lookups ({ambiguous:,} ambiguous, "
        f"{UNKNOWN_SHARE:.0%} unknown callers)"
    )
    built["dict.get"] = (BareDict(data), 0.0, 0.0)
    names = ("before", "after", "dict.get")
    figures: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in names}
    print("round  impl     p50 µs   p99 µs  p99.9 µs   max µs")
    for round_no in range(1, args.rounds + 1):
        for name in names:
            figures[name].append(percentiles(time_round(built[name][0], data.queries)))
            p50, p99, p999, worst = figures[name][-1]
            print(f"{round_no:5}  {name:6} {p50:8.2f} {p99:8.2f} {p999:9.2f} {worst:8.1f}", flush=True)
    print("spread over rounds (min–max):")
    for name in names:
        columns = list(zip(*figures[name], strict=True))
        spread = "  ".join(
            f"{label} {min(c):.2f}–{max(c):.2f}" for label, c in zip(("p50", "p99", "p99.9"), columns, strict=False)
        )
        memory = f"{built[name][1]:.1f} MiB" if built[name][1] else "not traced"
        print(f"  {name:8} {spread} µs; memory {memory}")
    print("ratios of medians over rounds (p50, p99):")
    for name, base in (("after", "before"), ("after", "dict.get")):
        ratios = [
            statistics.median(f[i] for f in figures[name]) / statistics.median(f[i] for f in figures[base])
            for i in (0, 1)
        ]
        print(f"  {name} / {base}: {ratios[0]:.2f}x, {ratios[1]:.2f}x")


if __name__ == "__main__":
    main()
