"""The call-logging plug-in writes a new call at once where the console opens its form on connect (CALL-36)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bridge.click_to_call.links import ClickToCallLinks
from bridge.plugins import call_logging


class _Bridge:
    """A stand-in bridge; weakly referenceable like the real one (the plug-in keeps per-bridge parts)."""

    def __init__(self, **parts: object) -> None:
        self.__dict__.update(parts)


def _bridge(*, open_call_form: bool | None, early_write: bool = False) -> _Bridge:
    console = None if open_call_form is None else SimpleNamespace(open_call_form=open_call_form)
    systems = {"hq": SimpleNamespace(unclassified="skip", early_write=early_write)}
    config = SimpleNamespace(console=console, systems=systems)
    return _Bridge(on_shutdown=lambda hook, name=None: None, outbox=object(), config=config)


@pytest.mark.parametrize(
    ("open_call_form", "early_write", "expected"),
    [(None, False, False), (False, False, False), (True, False, True), (None, True, True)],
)
def test_a_console_that_opens_forms_makes_every_system_write_early(
    monkeypatch, open_call_form: bool | None, early_write: bool, expected: bool
) -> None:
    context = SimpleNamespace(environments={}, crms={}, clients={})
    monkeypatch.setattr(call_logging, "crm_context", lambda bridge: context)
    monkeypatch.setattr(call_logging, "links_for", lambda bridge: ClickToCallLinks(bridge.outbox))

    logger = call_logging.from_bridge(_bridge(open_call_form=open_call_form, early_write=early_write))

    assert logger._early_write == {"hq": expected}
