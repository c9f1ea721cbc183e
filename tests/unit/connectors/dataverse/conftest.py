"""Shared fixtures for the Dataverse client tests: a wire mock and a client on it."""

from __future__ import annotations

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, RetryPolicy, StaticToken

from .dataverse_support import ORG, FakeSleep


@pytest.fixture
def wire():
    with responses.RequestsMock(
        assert_all_requests_are_fired=True, registry=responses.registries.OrderedRegistry
    ) as mock:
        yield mock


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def client(sleep: FakeSleep) -> DataverseClient:
    return DataverseClient(
        base_url=ORG,
        session=requests.Session(),
        token_provider=StaticToken("tok-1"),
        timeout=(5, 60),
        retry=RetryPolicy(sleep=sleep, rng=lambda: 0.5),
    )
