"""Test-wide fixtures."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_developer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's COMMS_* environment."""
    for name in list(os.environ):
        if name.startswith("COMMS_"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_root_handler_outlives_its_test() -> Iterator[None]:
    """A command run in-process (``cli.main``) sets up logging as a process would: a stderr handler on the
    root logger, bound to this test's captured stderr. It goes with the test, so later tests' threads
    never write to a closed stream; the root level is put back too."""
    root = logging.getLogger()
    before, level = set(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in before and type(h) is logging.StreamHandler]:
        root.removeHandler(handler)
    root.setLevel(level)
