"""One search, each environment's words: a recording's reason follows each CRM's Subject Language (CALL-28, X-05).

The bridge looks for a call's recording once and shares the outcome with every environment that logs
the call; the reason is kept as a value and worded per environment, so a Persian CRM and an English CRM
fed by the same telephony system each read the reason in their own language, after a restart too.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.outbox.store import Outbox
from bridge.recordings.fetcher import RecordingFetcher
from bridge.recordings.jobs import RecordingJobs
from services.calls.recordings import STATUS_FAILED, STATUS_FOUND, STATUS_NOT_FOUND

from .test_recording_resume import items
from .test_recordings import DAY, FAST, NAME, UID, FakeStore, ended, system

FSI, PDI = "\u2068", "\u2069"


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.db") as box:
        yield box


def environments() -> dict[str, object]:
    branch = dataclasses.replace(system(language="fa"), record_id="00000000-0000-0000-0000-0000000000bb")
    return {"prod": system(), "branch": branch}


def fetch(outbox: Outbox, store: FakeStore | None, tmp_path: Path) -> None:
    stores = {} if store is None else {"tehran": store}
    fetcher = RecordingFetcher(outbox=outbox, stores=stores, policy=FAST, jobs=RecordingJobs(tmp_path / "jobs.db"))

    async def main() -> None:
        fetcher.fetch_for(ended(), environments())  # type: ignore[arg-type]
        await fetcher.wait_idle()
        await fetcher.aclose()

    asyncio.run(main())


def errors(outbox: Outbox) -> tuple[str, str]:
    (prod,), (branch,) = items(outbox, "prod"), items(outbox, "branch")
    assert prod.body["comms_status"] == branch.body["comms_status"]  # the outcome is one; only the words differ
    return prod.body["comms_error"], branch.body["comms_error"]


def test_a_recording_never_found_is_reported_in_each_environments_language(outbox: Outbox, tmp_path: Path) -> None:
    fetch(outbox, FakeStore(), tmp_path)
    english, persian = errors(outbox)
    assert items(outbox, "prod")[0].body["comms_status"] == STATUS_NOT_FOUND
    assert english.startswith("No recording was found within") and UID in english and DAY in english
    assert persian.startswith("تا 0.005 دقیقه پس از پایان تماس فایل ضبطی پیدا نشد؛")
    assert f"{FSI}{UID}{PDI}" in persian and f"{FSI}{DAY}" in persian


def test_a_file_over_the_limit_is_reported_in_each_environments_language(outbox: Outbox, tmp_path: Path) -> None:
    store = FakeStore()
    store.folders[DAY] = {NAME: bytes(1001)}
    fetch(outbox, store, tmp_path)
    english, persian = errors(outbox)
    assert items(outbox, "branch")[0].body["comms_status"] == STATUS_FOUND
    assert "attachment limit" in english and persian.startswith("حجم فایل ضبط 0.0 مگابایت است")
    assert store.reads == 0


def test_no_store_is_reported_in_each_environments_language(outbox: Outbox, tmp_path: Path) -> None:
    fetch(outbox, None, tmp_path)
    english, persian = errors(outbox)
    assert items(outbox, "prod")[0].body["comms_status"] == STATUS_FAILED
    assert "configuration" in english and "پیکربندی بریج" in persian
