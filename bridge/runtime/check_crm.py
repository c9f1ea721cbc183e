"""The checks of ``commsuite bridge check`` that look past the connections (CALL-12, CALL-15, CALL-27).

:func:`check_crm_records`: every configured system needs its telephony-system
row (key = the ``[systems.<key>]`` name) in each environment it writes to, and
extension rows, or calls are logged without users, numbering or link status.

:func:`check_unclassified`: whether the channel rules classify the PBX's
calls. Asterisk keeps no call history the AMI can read back, so the check asks
the running bridge: its health endpoint (``[bridge] health_listen``) counts,
per system, the calls since its start that the rules could classify neither as
inbound nor as outbound. A count above zero is a warning; with no bridge
running there is nothing to judge and the line says so.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from bridge.config.model import BridgeConfig, EnvironmentConfig
from bridge.outbox.drain_thread import make_write_client
from bridge.runtime.check_result import CheckResult
from connectors.dataverse import DataverseClient, odata
from connectors.errors import ConnectorError
from dataverse_schema.names import Extension, TelephonySystem
from domain.calls.unclassified import UnclassifiedPolicy

_SHOWN = 5  # extension numbers named in one line


async def check_crm_records(
    config: BridgeConfig,
    *,
    client_factory: Callable[[EnvironmentConfig], DataverseClient] = make_write_client,
    timeout_s: float = 15.0,
) -> list[CheckResult]:
    """One line per system and environment: its telephony-system row, and how many extension rows it has."""
    results: list[CheckResult] = []
    for name, environment in config.environments.items():
        keys = [key for key, system in config.systems.items() if name in system.environments]
        if not keys:
            continue
        try:
            client = client_factory(environment)
            rows = await asyncio.wait_for(asyncio.to_thread(_read_records, client, keys), timeout_s)
        except (ConnectorError, OSError, ValueError, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            results += [
                CheckResult(
                    f"records {key} in {name}",
                    True,
                    f"not checked: could not read {name} ({reason})",
                    is_configured=False,
                )
                for key in keys
            ]
            continue
        systems, extensions = rows
        results += [_judge(key, name, systems.get(key), extensions.get(key, [])) for key in keys]
    return results


def _read_records(
    client: DataverseClient, keys: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The system rows by key and the extension rows by system key: two queries."""
    keys_filter = odata.in_(TelephonySystem.SYSTEMKEY, keys)
    systems = {
        row[TelephonySystem.SYSTEMKEY]: row
        for row in client.query(
            TelephonySystem.SET,
            select=[TelephonySystem.SYSTEMKEY, TelephonySystem.AUTOREGISTEREXTENSIONS],
            filter=keys_filter,
        )
    }
    extensions: dict[str, list[dict[str, Any]]] = {}
    for row in client.query(
        Extension.SET,
        select=[Extension.SYSTEMKEY, Extension.NUMBER, Extension.SYSTEMUSERID_VALUE],
        filter=odata.in_(Extension.SYSTEMKEY, keys),
    ):
        extensions.setdefault(str(row.get(Extension.SYSTEMKEY)), []).append(row)
    return systems, extensions


def _judge(key: str, environment: str, system: dict[str, Any] | None, extensions: list[dict[str, Any]]) -> CheckResult:
    name = f"records {key} in {environment}"
    if system is None:
        return CheckResult(
            name,
            False,
            f"no telephony-system row with key {key}; create it in Dynamics "
            f"(CommSuite > Telephony Systems, System Key = {key}): the bridge reads "
            "the numbering, extensions and lines from it and shows the link status "
            "on it",
        )
    if not extensions:
        if system.get(TelephonySystem.AUTOREGISTEREXTENSIONS):
            return CheckResult(
                name,
                True,
                "the telephony-system row exists but has no extension rows yet; "
                "Auto-Register Extensions is on, so they are added as calls come "
                "(then give each its user)",
                warning=True,
            )
        return CheckResult(
            name,
            False,
            "the telephony-system row has no extension rows: calls get no user, "
            "owner or pop-up; add an extension row per extension with its user, or "
            "turn on Auto-Register Extensions on the row",
        )
    userless = sorted(str(row.get(Extension.NUMBER)) for row in extensions if not row.get(Extension.SYSTEMUSERID_VALUE))
    detail = f"the telephony-system row and {len(extensions)} extension rows exist"
    if userless:
        shown = ", ".join(userless[:_SHOWN]) + (", ..." if len(userless) > _SHOWN else "")
        return CheckResult(
            name,
            True,
            f"{detail}; {len(userless)} have no user, so their calls are owned by the application user: {shown}",
            warning=True,
        )
    return CheckResult(name, True, detail)


async def check_unclassified(config: BridgeConfig, *, timeout_s: float = 15.0) -> list[CheckResult]:
    """Per system, the calls of the running bridge its rules could not classify (a warning when any)."""
    address = config.bridge.health_address
    host = "127.0.0.1" if address.host in ("0.0.0.0", "", "::") else address.host
    url = f"http://{host if ':' not in host else f'[{host}]'}:{address.port}/healthz"
    try:
        health = await asyncio.to_thread(_read_health, url, timeout_s)
    except (OSError, ValueError) as exc:
        return [
            CheckResult(
                "call rules",
                True,
                f"not judged: the bridge is not running here (no answer on "
                f"{url}: {exc}); run the check again while it runs to see "
                "whether its channel rules classify the PBX's calls",
                is_configured=False,
            )
        ]
    counts = {str(s.get("key")): int(s.get("unclassified_calls") or 0) for s in health.get("systems", [])}
    return [
        _judge_rules(key, counts.get(key, 0), system.kind, system.unclassified)
        for key, system in config.systems.items()
    ]


def _read_health(url: str, timeout_s: float) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout_s) as reply:  # noqa: S310 - our own loopback endpoint
        document = json.loads(reply.read(1_000_000))
    if not isinstance(document, dict):
        raise ValueError("the health endpoint did not answer a JSON object")
    return document


def _judge_rules(key: str, count: int, kind: str, policy: UnclassifiedPolicy) -> CheckResult:
    name = f"call rules {key}"
    if count == 0:
        return CheckResult(name, True, "every call since the bridge started was classified as inbound or outbound")
    fate = "kept out of Dataverse" if policy is UnclassifiedPolicy.SKIP else 'logged as "Unclassified call"'
    where = (
        f"the bridge's log has a WARNING per channel pattern naming the [systems.{key}.ami.channels] "
        "setting that would classify it"
        if kind == "ami"
        else "check the device's line settings"
    )
    return CheckResult(
        name,
        True,
        f"{count} calls since the bridge started could not be classified as inbound "
        f"or outbound and were {fate}; {where}",
        warning=True,
    )
