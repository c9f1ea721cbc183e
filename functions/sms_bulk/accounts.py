"""Provider accounts as the bulk sender and the inbound service see them: account key → connector.

The CRM's SMS Provider Account rows (SMS-13, -18) name a connector kind, its
non-secret settings (JSON) and a credential reference: the name of the app
setting (or Key Vault reference resolved into one) that holds the secret.
:class:`CrmAccountDirectory` reads the rows once per worker and builds each
connector with the shared session; the secret goes into the one field of the
kind's settings model typed :class:`~connectors.settings.Secret`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from connectors.dataverse import DataverseClient, odata
from connectors.settings import Secret
from connectors.sms import PROVIDERS, build_provider
from connectors.sms.base import SmsProvider
from functions.sms_bulk import rows

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderAccount:
    """One provider account: its key, CRM record id, connector and polling interval (0 = pushed)."""

    account_key: str
    record_id: str
    provider: SmsProvider
    is_default: bool = False
    poll_interval_s: int = 0


class AccountDirectory(Protocol):
    """Finds provider accounts; built once per worker."""

    def all(self) -> Sequence[ProviderAccount]: ...

    def get(self, account_key: str) -> ProviderAccount | None: ...

    def by_record_id(self, record_id: str | None) -> ProviderAccount | None:
        """The account with that CRM id, or the default account when ``record_id`` is ``None``."""
        ...


class StaticAccountDirectory:
    """A fixed set of accounts (tests, the benchmark, a single-account deployment)."""

    def __init__(self, accounts: Sequence[ProviderAccount]):
        self._accounts = tuple(accounts)

    def all(self) -> Sequence[ProviderAccount]:
        return self._accounts

    def get(self, account_key: str) -> ProviderAccount | None:
        return next((a for a in self._accounts if a.account_key == account_key), None)

    def by_record_id(self, record_id: str | None) -> ProviderAccount | None:
        if record_id is None:
            return next((a for a in self._accounts if a.is_default), self._accounts[0] if self._accounts else None)
        return next((a for a in self._accounts if a.record_id.lower() == record_id.lower()), None)


class CrmAccountDirectory(StaticAccountDirectory):
    """Accounts read from the CRM's provider rows; rows that cannot be built are logged and left out."""

    def __init__(self, client: DataverseClient, environ: Mapping[str, str], session: requests.Session):
        accounts = []
        for row in client.query(rows.PROVIDER_SET, select=rows.PROVIDER_COLUMNS, filter=odata.eq("statecode", 0)):
            try:
                accounts.append(account_from_row(row, environ, session))
            except (KeyError, ValueError) as exc:
                log.error("SMS provider account %s cannot be used: %s", row.get(rows.ACCOUNT_KEY),
                          exc, extra={"operation": "load_accounts"})
        super().__init__(accounts)


def account_from_row(row: Mapping[str, Any], environ: Mapping[str, str], session: requests.Session) -> ProviderAccount:
    """Build one account from its CRM row; ``ValueError`` names what is wrong (never the secret)."""
    kind = str(row.get(rows.PROVIDER_KIND) or "")
    if kind not in PROVIDERS:
        raise ValueError(f"unknown provider kind {kind!r}")
    settings: dict[str, Any] = json.loads(row.get(rows.PROVIDER_SETTINGS) or "{}")
    if not isinstance(settings, dict):
        raise ValueError("Other Settings must be a JSON object")
    if row.get(rows.PROVIDER_BASE_URL):
        settings["base_url"] = row[rows.PROVIDER_BASE_URL]
    reference = row.get(rows.PROVIDER_CREDENTIAL)
    secret_field = _secret_field(kind)
    if secret_field is not None:
        if not reference or reference not in environ:
            raise ValueError(f"the credential reference {reference!r} names no app setting")
        settings[secret_field] = Secret(environ[reference])
    provider = build_provider(kind, settings, session=session)
    return ProviderAccount(
        account_key=str(row[rows.ACCOUNT_KEY]), record_id=str(row[rows.PROVIDER_ID]), provider=provider,
        is_default=bool(row.get(rows.PROVIDER_IS_DEFAULT)), poll_interval_s=int(row.get(rows.POLL_INTERVAL) or 0),
    )


def _secret_field(kind: str) -> str | None:
    model = PROVIDERS[kind].settings_model
    for name, info in model.model_fields.items():
        if info.annotation is Secret:
            return name
    return None
