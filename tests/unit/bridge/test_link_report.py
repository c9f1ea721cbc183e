"""The link status reaches the CRM row on every settled change, and the log says when a link is lost / back
(issue 11, point 1.3)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.crm.link_report import LinkReporter
from bridge.crm.settings import CrmSettings, LinkStatus
from bridge.outbox.store import Outbox
from connectors.pbx.base import ConnectionState

from .test_crm_settings import FakeClient, system_row

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)


class World:
    def __init__(self) -> None:
        self.state = ConnectionState.CONNECTING
        self.reports: list[tuple[str, LinkStatus, str, datetime]] = []
        self.accepts = True

    def report(self, key: str, status: LinkStatus, detail: str, now: datetime) -> bool:
        if self.accepts:
            self.reports.append((key, status, detail, now))
        return self.accepts


@pytest.fixture
def world() -> World:
    return World()


def reporter(world: World) -> LinkReporter:
    return LinkReporter(lambda: {"hq": world.state}, world.report, settle=5 * S)


def test_four_disconnects_each_reach_the_crm_with_last_seen(world: World) -> None:
    links = reporter(world)
    now = T0
    for _ in range(4):
        world.state = ConnectionState.CONNECTED
        links.observe(now)
        links.observe(now + 5 * S)
        world.state = ConnectionState.BACKING_OFF
        links.observe(now + 10 * S)
        links.observe(now + 15 * S)
        now += 60 * S
    statuses = [(status, at) for _, status, _, at in world.reports]
    assert [s for s, _ in statuses] == [LinkStatus.CONNECTED, LinkStatus.DISCONNECTED] * 4
    assert statuses[-1][1] == T0 + 3 * 60 * S + 15 * S


def test_a_blip_shorter_than_the_settle_time_writes_nothing_but_is_logged(world: World, caplog) -> None:
    links = reporter(world)
    world.state = ConnectionState.CONNECTED
    links.observe(T0)
    links.observe(T0 + 5 * S)
    caplog.set_level(logging.INFO, logger="bridge.crm.link_report")
    world.state = ConnectionState.BACKING_OFF
    links.observe(T0 + 6 * S)
    world.state = ConnectionState.CONNECTED
    links.observe(T0 + 8 * S)
    links.observe(T0 + 20 * S)
    assert [status for _, status, _, _ in world.reports] == [LinkStatus.CONNECTED]
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (logging.WARNING, "link to the PBX lost (backing_off)") in messages
    assert (logging.INFO, "link to the PBX is back (down 2 s)") in messages


def test_a_row_not_read_yet_is_tried_again(world: World) -> None:
    links = reporter(world)
    world.accepts = False
    world.state = ConnectionState.AUTH_FAILED
    links.observe(T0)
    links.observe(T0 + 5 * S)
    assert world.reports == []
    world.accepts = True
    links.observe(T0 + 6 * S)
    assert [(status, at) for _, status, _, at in world.reports] == [(LinkStatus.LOGIN_FAILED, T0 + 6 * S)]
    links.observe(T0 + 7 * S)
    assert len(world.reports) == 1


def test_the_crm_settings_plugin_writes_the_status_through_the_outbox(tmp_path: Path) -> None:
    from bridge.plugins.crm_settings import link_reporter

    with Outbox(tmp_path / "o.db") as outbox:
        settings = CrmSettings(FakeClient([system_row()], [], []), "prod", ["hq"], outbox=outbox)
        settings.refresh_now()
        state = {"hq": ConnectionState.CONNECTED}
        links = link_reporter(lambda: state, {"hq": ("prod",)}, {"prod": settings}, settle=timedelta(0))
        links.observe(T0)
        (queued,) = outbox.pending("prod")
    assert queued.item.body["comms_linkstatus"] == 103710001
    assert queued.item.body["comms_lastseenon"] == "2024-05-01T09:00:00Z"
