"""The Functions app's long-lived services, built once per worker process.

Connection pools and the MSAL token cache must survive between invocations,
so handlers call :func:`services` instead of building clients themselves.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from connectors.dataverse import DataverseClient, DataverseSettings, make_client
from functions.sms.runtime import SmsRuntime, build_sms_runtime


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    dataverse: DataverseClient
    sms: SmsRuntime | None = None
    clock: Callable[[], datetime] = field(default=utc_now)


def build_services(environ: Mapping[str, str], session: requests.Session | None = None) -> Services:
    """Build every service from app settings (``COMMS_*``); provider calls get their own session."""
    settings = DataverseSettings.from_env(environ)
    client = make_client(settings, session=session)
    sms = build_sms_runtime(client, requests.Session(), environ, utc_now)
    return Services(dataverse=client, sms=sms, clock=utc_now)


@functools.cache
def services() -> Services:
    return build_services(os.environ)
