"""A stop names the work it leaves behind (issue 14): labelled threads and the suite's frames they wait in."""

from __future__ import annotations

import logging
import threading

import pytest

from bridge.runtime.inflight import busy, describe
from bridge.runtime.service import run_service


def _waiting_thread(label: str | None, release: threading.Event) -> tuple[threading.Thread, threading.Event]:
    started = threading.Event()

    def work() -> None:
        started.set()
        release.wait(30)

    def run() -> None:
        if label is None:
            work()
            return
        with busy(label):
            work()

    thread = threading.Thread(target=run, name="asyncio_7")
    thread.start()
    started.wait(30)
    return thread, started


def test_a_labelled_thread_is_described_by_its_label_and_where_it_waits() -> None:
    release = threading.Event()
    thread, _ = _waiting_thread("SMS dlr webhook", release)
    try:
        text = describe(thread)
    finally:
        release.set()
        thread.join(30)
    assert text.startswith("asyncio_7 (SMS dlr webhook, in tests/unit/bridge/test_inflight.py:")
    assert describe(thread) == "asyncio_7"  # ended: nothing left to say


def test_an_unlabelled_thread_is_described_by_the_suite_code_it_runs() -> None:
    release = threading.Event()
    thread, _ = _waiting_thread(None, release)
    try:
        text = describe(thread)
    finally:
        release.set()
        thread.join(30)
    assert "tests/unit/bridge/test_inflight.py:run" in text and "test_inflight.py:work" in text


def test_labels_nest_and_unwind() -> None:
    me = threading.current_thread()
    with busy("outer"):
        with busy("inner"):
            assert describe(me).startswith(f"{me.name} (inner")
        assert describe(me).startswith(f"{me.name} (outer")


def test_the_stop_line_says_what_each_left_thread_was_doing(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    thread, _ = _waiting_thread("SMS job sms_sweep", release)
    exits: list[int] = []

    async def main() -> None:
        return None

    try:
        with caplog.at_level(logging.INFO, logger="bridge.runtime.service"):
            run_service(main(), exit_now=exits.append)
    finally:
        release.set()
        thread.join(30)
    assert exits == [0]
    line = next(r.getMessage() for r in caplog.records if "still waiting on the network" in r.getMessage())
    assert "asyncio_7 (SMS job sms_sweep, in " in line
