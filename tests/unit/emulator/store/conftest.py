"""Fixtures for the store tests."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator.store import Store

from .store_tables import all_tables

NOW = dt.datetime(2024, 5, 1, 12, 30, 15, tzinfo=dt.UTC)


@pytest.fixture()
def store() -> Store:
    store = Store(":memory:", all_tables(), clock=lambda: NOW)
    yield store
    store.close()
