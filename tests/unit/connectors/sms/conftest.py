"""Fixtures shared by the SMS provider tests: the mocked wire and a plain session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    """Every registered response must be used, and nothing unregistered may be called."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def session() -> requests.Session:
    return requests.Session()
