"""The Functions app's services, built once per worker process from validated app settings.

Connection pools and the MSAL token cache must survive between invocations,
so handlers call :func:`services` instead of building clients themselves.
Bad settings raise :class:`services.settings.SettingsError` naming each variable.
"""

from __future__ import annotations

import functools

from services.factory import Services, build_services
from services.settings import AppSettings


@functools.cache
def services() -> Services:
    return build_services(AppSettings())
