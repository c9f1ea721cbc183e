"""Benchmark the matching index: lookup latency and memory for 1,000,000 numbers.

Run: ``.venv/bin/python bench/number_index.py [numbers] [numbers-per-record]``.
Prints p50 / p99 lookup time and the memory the index holds (tracemalloc).
Targets (CALL-02, CALL-04): lookup < 5 µs, memory < 300 MB for 1,000,000 numbers.
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime

from domain.number_index import IndexedTable, NumberIndex
from domain.numbers import NumberPlan

TABLES = (
    IndexedTable("contact", ("telephone1", "telephone2", "mobilephone")),
    IndexedTable("account", ("telephone1", "telephone2")),
    IndexedTable("lead", ("telephone1", "mobilephone")),
)


def _rows(count: int, per_record: int, rng: random.Random):
    """Raw CRM-shaped rows: mobiles written as 09…, fixed lines as 021 ….."""
    owners = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(200)]
    modified = datetime(2024, 1, 1, tzinfo=UTC)
    columns = ("telephone1", "mobilephone", "telephone2")[:per_record]
    for i in range(count // per_record):
        values = {}
        for j, column in enumerate(columns):
            n = i * per_record + j
            values[column] = f"0912{n:07d}" if column == "mobilephone" else f"021{30000000 + n:08d}"
        yield str(uuid.UUID(int=rng.getrandbits(128))), values, rng.choice(owners), modified


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    per_record = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    rng = random.Random(7)
    rows = list(_rows(count, per_record, rng))
    tracemalloc.start()
    start = time.perf_counter()
    index = NumberIndex(TABLES, NumberPlan())
    index.load("contact", rows)
    load_s = time.perf_counter() - start
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del rows
    keys = [982130000000 + rng.randrange(count) for _ in range(100_000)]
    timings = []
    for key in keys:
        t0 = time.perf_counter_ns()
        index.lookup(key)
        timings.append(time.perf_counter_ns() - t0)
    timings.sort()
    print(f"numbers indexed : {len(index):,} in {index.record_count:,} records (load {load_s:.1f} s)")
    print(f"memory held     : {current / 2**20:.1f} MiB")
    print(f"lookup p50      : {timings[len(timings) // 2] / 1000:.2f} µs")
    print(f"lookup p99      : {timings[int(len(timings) * 0.99)] / 1000:.2f} µs")


if __name__ == "__main__":
    main()
