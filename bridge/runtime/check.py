"""``commsuite bridge check``: try every connection the config describes and say, in plain words, what is wrong.

CALL-26, CALL-27. One line per check: the outbox folder, each plug-in
factory, each telephony device (AMI login, SMDR TCP login, serial port open),
each Dataverse environment (WhoAmI), the CRM records each system needs and,
when the bridge is running, the calls its channel rules could not classify
(:mod:`bridge.runtime.check_crm`). Other parts add their own checks
with :func:`register_check` (the SFTP recordings check, for one); a known
optional check nobody registered is reported as "not configured".
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import dataverse_schema
from bridge.config.model import BridgeConfig, EnvironmentConfig, SystemConfig
from bridge.outbox.drain_thread import make_write_client
from bridge.runtime.cdr_catchup import check_cdr_csv
from bridge.runtime.check_crm import check_crm_records, check_unclassified
from bridge.runtime.check_result import CheckResult
from bridge.runtime.service import FactoryError, load_factory
from bridge.runtime.workers import ConnectorUnavailableError, build_connector
from connectors.dataverse import DataverseClient
from connectors.dataverse.schema_navigation import navigation_mismatches
from connectors.errors import AuthError, ConnectorError, NotSentError
from connectors.pbx.base import PbxConnector

DEFAULT_TIMEOUT_S = 15.0


ExtraCheck = Callable[[BridgeConfig], Awaitable[list[CheckResult]]]
#: Checks other parts register (name → coroutine function of the config).
EXTRA_CHECKS: dict[str, ExtraCheck] = {}
#: Checks the bridge knows of but that another part provides; reported as "not configured" when absent.
OPTIONAL_CHECKS = {"recordings": "recordings (SFTP)"}
#: Registered checks that look at each telephony system's own settings (and so run for one system too).
PER_SYSTEM_CHECKS = ("recordings",)


def register_check(name: str, check: ExtraCheck) -> None:
    """Add a check (e.g. ``register_check("recordings", check_sftp)``); a second one under a name replaces it."""
    EXTRA_CHECKS[name] = check


async def run_checks(
    config: BridgeConfig,
    *,
    connector_factory: Callable[[SystemConfig], PbxConnector] = build_connector,
    client_factory: Callable[[EnvironmentConfig], DataverseClient] = make_write_client,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[CheckResult]:
    """Every check, devices and environments concurrently; never raises for a failed check."""
    results = [_check_outbox(config), *_check_factories(config)]
    devices = [check_system(system, connector_factory, timeout_s) for system in config.systems.values()]
    environments = [
        _check_environment(name, env, client_factory, timeout_s) for name, env in config.environments.items()
    ]
    navigation = [
        check_navigation(name, lambda env=env: client_factory(env), timeout_s)
        for name, env in config.environments.items()
    ]
    results += await asyncio.gather(*devices, *environments, *navigation)
    results += await check_crm_records(config, client_factory=client_factory, timeout_s=timeout_s)
    results += await check_unclassified(config, timeout_s=timeout_s)
    results += await check_cdr_csv(config)  # local reads, or SFTP reads under the login's own timeouts
    for name, check in sorted(EXTRA_CHECKS.items()):
        try:
            results += await asyncio.wait_for(check(config), timeout_s)
        except Exception as exc:  # a broken plug-in check is itself a failed check
            results.append(CheckResult(OPTIONAL_CHECKS.get(name, name), False, f"the check itself failed: {exc}"))
    for name, label in OPTIONAL_CHECKS.items():
        if name not in EXTRA_CHECKS:
            results.append(CheckResult(label, True, "not configured", is_configured=False))
    return results


def _check_outbox(config: BridgeConfig) -> CheckResult:
    folder = Path(config.bridge.outbox).parent
    name = f"outbox {config.bridge.outbox}"
    if not folder.is_dir():
        return CheckResult(
            name,
            False,
            f"the folder {folder} does not exist; create it (the systemd unit's "
            "StateDirectory does) and give the service user write access",
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        return CheckResult(
            name,
            False,
            f"the folder {folder} is not writable by this user; run the check as the "
            "service user or fix the folder's owner",
        )
    return CheckResult(name, True, "the folder exists and is writable")


def _check_factories(config: BridgeConfig) -> list[CheckResult]:
    specs = [*config.bridge.listeners, *([config.bridge.settings_source] if config.bridge.settings_source else [])]
    results = []
    for spec in specs:
        try:
            load_factory(spec)
        except FactoryError as exc:
            results.append(CheckResult(f"plug-in {spec}", False, f"{exc}; fix [bridge] in {config.path}"))
        else:
            results.append(CheckResult(f"plug-in {spec}", True, "importable"))
    return results


async def check_one_system(
    config: BridgeConfig,
    system_key: str,
    *,
    connector_factory: Callable[[SystemConfig], PbxConnector] = build_connector,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[CheckResult]:
    """The checks of one telephony system, as ``bridge check`` runs them: its PBX link (AMI login, SMDR,
    serial) and the registered per-system checks (its SSH/SFTP or FTP recordings store). The console's
    diagnostics (CALL-39) call this; ``KeyError`` for an unknown system."""
    system = config.systems[system_key]
    results = [await check_system(system, connector_factory, timeout_s)]
    narrowed = dataclasses.replace(config, systems={system_key: system})
    for name in PER_SYSTEM_CHECKS:
        check = EXTRA_CHECKS.get(name)
        if check is None:
            continue
        try:
            results += await asyncio.wait_for(check(narrowed), timeout_s)
        except Exception as exc:  # a broken plug-in check is itself a failed check
            results.append(CheckResult(OPTIONAL_CHECKS.get(name, name), False, f"the check itself failed: {exc}"))
    return results


async def check_system(
    system: SystemConfig, connector_factory: Callable[[SystemConfig], PbxConnector], timeout_s: float
) -> CheckResult:
    """Log in to (or open) one telephony device and say how it went; never raises for a failed check."""
    target = _target(system)
    name = f"system {system.key} ({system.kind}, {target})"
    try:
        connector = connector_factory(system)
        report = await asyncio.wait_for(connector.test_connection(), timeout_s)
    except ConnectorUnavailableError as exc:
        return CheckResult(name, False, str(exc))
    except AuthError:
        return CheckResult(
            name,
            False,
            "the device refused the username or password; fix username and "
            f"password_env / password_file under [systems.{system.key}]",
        )
    except NotSentError as exc:
        return CheckResult(name, False, f"{exc}; {_reach_advice(system)}")
    except TimeoutError:
        return CheckResult(name, False, f"no answer within {timeout_s:.0f} s; {_reach_advice(system)}")
    except ConnectorError as exc:
        return CheckResult(name, False, str(exc))
    detail = "port opened" if system.kind.endswith("-serial") else "logged in"
    version = f", {report.pbx_version}" if report.pbx_version and not system.kind.endswith("-serial") else ""
    return CheckResult(name, True, f"{detail}{version} ({report.round_trip_ms} ms)")


async def _check_environment(
    name: str,
    environment: EnvironmentConfig,
    client_factory: Callable[[EnvironmentConfig], DataverseClient],
    timeout_s: float,
) -> CheckResult:
    label = f"environment {name} ({environment.dataverse.url})"
    try:
        client = client_factory(environment)
        identity = await asyncio.wait_for(asyncio.to_thread(client.whoami), timeout_s)
    except AuthError:
        return CheckResult(
            label,
            False,
            "Dataverse refused the credentials; check tenant_id, client_id and the "
            "secret or certificate, and that the application user exists in this "
            "environment with a security role",
        )
    except NotSentError as exc:
        return CheckResult(label, False, f"cannot reach Dataverse ({exc}); check the URL, DNS, proxy and firewall")
    except TimeoutError:
        return CheckResult(label, False, f"no answer within {timeout_s:.0f} s; check the URL and the network")
    except (ConnectorError, OSError, ValueError) as exc:
        return CheckResult(label, False, f"{type(exc).__name__}: {exc}")
    return CheckResult(label, True, f"signed in as application user {identity.get('UserId', '?')}")


async def check_navigation(name: str, client: Callable[[], DataverseClient], timeout_s: float) -> CheckResult:
    """The suite's lookups bind by the navigation names the environment declares (an earlier,
    lower-case ``schema apply`` left ``comms_smsproviderid`` where the suite binds ``comms_SmsProviderId``)."""
    label = f"environment {name} schema"
    try:
        found = await asyncio.wait_for(
            asyncio.to_thread(navigation_mismatches, client(), dataverse_schema.TABLES.values()), timeout_s
        )
    except TimeoutError:
        return CheckResult(label, False, f"no answer within {timeout_s:.0f} s reading the relationships")
    except (ConnectorError, OSError, ValueError) as exc:
        return CheckResult(label, False, f"cannot read the relationships ({type(exc).__name__}: {exc})")
    if not found:
        return CheckResult(label, True, "lookups' navigation properties match the suite")
    return CheckResult(label, False, "; ".join(m.line() for m in found))


def _target(system: SystemConfig) -> str:
    if system.ami is not None:
        return f"{system.ami.host}:{system.ami.port}"
    if system.smdr_tcp is not None:
        return f"{system.smdr_tcp.host}:{system.smdr_tcp.port}"
    serial = system.serial or getattr(system.callerid, "serial", None)
    return serial.port if serial is not None else "?"


def _reach_advice(system: SystemConfig) -> str:
    if system.kind.endswith("-serial"):
        return (
            "check the port name, that the cable or USB adapter is plugged in, and that the service user "
            "may open it (the dialout group on Linux)"
        )
    if system.kind == "ami":
        return "check host and port, the firewall, and that AMI is enabled (manager.conf, enabled = yes)"
    return "check host and port, the firewall, and that the PBX's SMDR console is enabled"
