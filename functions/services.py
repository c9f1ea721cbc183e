"""The Functions app's long-lived services, built once per worker process.

Connection pools and the MSAL token cache must survive between invocations,
so handlers call :func:`services` instead of building clients themselves.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

import requests

from connectors.dataverse import DataverseClient, DataverseSettings, make_client


@dataclass(frozen=True)
class Services:
    dataverse: DataverseClient


def build_services(environ: Mapping[str, str], session: requests.Session | None = None) -> Services:
    """Build every service from app settings (``COMMS_*``)."""
    settings = DataverseSettings.from_env(environ)
    return Services(dataverse=make_client(settings, session=session))


@functools.cache
def services() -> Services:
    return build_services(os.environ)
