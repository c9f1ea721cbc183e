"""Test-wide fixtures."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_developer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's COMMS_* environment."""
    for name in list(os.environ):
        if name.startswith("COMMS_"):
            monkeypatch.delenv(name, raising=False)
