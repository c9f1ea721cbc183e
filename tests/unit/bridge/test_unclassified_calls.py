"""Calls the channel rules could not classify are never guessed (issue 11, points 1.1 and 2.1).

By default they stay out of Dataverse; ``unclassified = "mark"`` on the system writes them with a
subject that says so. ``/metrics`` counts them per system, and the SMDR telnet resyncs too.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.calls.logger import CallLogger
from bridge.config.loader import parse_config
from bridge.outbox.store import Outbox
from bridge.runtime.health import HealthSnapshot, SystemHealth, metrics_of
from domain.calls.unclassified import UnclassifiedPolicy

from .test_call_logger import crm, ended


def unclassified_end():
    return ended(direction=None)


def test_an_unclassified_call_is_kept_out_by_default(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as outbox:
        logger = CallLogger(outbox, {"hq": ["prod"]}, crm())
        logger.on_call(unclassified_end(), crm()["prod"].settings.system)
        assert outbox.depth() == 0
    assert logger.stats.skipped == 1 and logger.stats.unclassified == 1
    assert any("direction unknown" in reason for reason in logger.stats.skip_reasons)


def test_an_unclassified_call_is_written_marked_when_the_site_says_so(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as outbox:
        logger = CallLogger(outbox, {"hq": ["prod"]}, crm(), unclassified={"hq": UnclassifiedPolicy.MARK})
        logger.on_call(unclassified_end(), crm()["prod"].settings.system)
        (queued,) = outbox.pending("prod")
    assert queued.item.body["subject"].startswith("Unclassified call")
    assert logger.stats.unclassified == 1 and logger.stats.skipped == 0


def test_a_classified_call_is_unaffected(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as outbox:
        logger = CallLogger(outbox, {"hq": ["prod"]}, crm())
        logger.on_call(ended(), crm()["prod"].settings.system)
        assert outbox.depth("prod") == 1
    assert logger.stats.unclassified == 0


def test_the_policy_is_a_system_setting_defaulting_to_skip() -> None:
    from .test_config import ENV as CONFIG_ENV
    from .test_config import MINIMAL as CONFIG

    assert (
        parse_config(CONFIG.encode(), "bridge.toml", CONFIG_ENV).systems["hq"].unclassified is UnclassifiedPolicy.SKIP
    )
    marked = CONFIG.replace('kind = "ami"', 'kind = "ami"\nunclassified = "mark"')
    assert (
        parse_config(marked.encode(), "bridge.toml", CONFIG_ENV).systems["hq"].unclassified is UnclassifiedPolicy.MARK
    )


def test_metrics_count_unclassified_calls_and_telnet_resyncs() -> None:
    snapshot = HealthSnapshot(
        1.0,
        (
            replace(SystemHealth("hq", "ami", "connected"), unclassified_calls=3),
            replace(SystemHealth("br", "smdr-tcp", "connected"), telnet_resyncs=2),
        ),
        (),
    )
    text = metrics_of(snapshot)
    assert 'commsuite_bridge_unclassified_calls_total{system="hq"} 3' in text
    assert 'commsuite_bridge_smdr_telnet_resyncs_total{system="br"} 2' in text


def test_the_ami_connector_exposes_its_unclassified_count() -> None:
    from connectors.pbx.ami import AmiConnector
    from connectors.pbx.ami.settings import AmiSettings

    connector = AmiConnector(AmiSettings(system="hq", host="pbx", username="u", secret="s"))
    assert connector.unclassified_calls == 0


def test_a_telnet_resync_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    from bridge.runtime.daemon import warn_telnet_resyncs

    seen: dict[str, int] = {}
    with caplog.at_level(logging.WARNING):
        warn_telnet_resyncs({"br": 0}, seen)
        warn_telnet_resyncs({"br": 2}, seen)
        warn_telnet_resyncs({"br": 2}, seen)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "telnet" in warnings[0]
