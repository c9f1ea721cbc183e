"""Provider accounts as the bulk sender and the inbound service see them: a view over the one registry.

There is one provider-account registry per process, :class:`services.sms.accounts.ProviderRegistry`
(SMS-13, -18, -22, -23): it reads the CRM's SMS Provider rows, builds each
connector once and keeps a plain-words problem for a row that cannot be used.
The bulk sender and the inbound service need a narrower view: only usable
accounts, each with its connector, polling interval and send-attempt limit.
:class:`RegistryAccountDirectory` gives that view over the registry the
factory built for single sends (``services.factory``);
:class:`StaticAccountDirectory` holds a fixed set (tests, the benchmark).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from connectors.sms.base import SmsProvider
from domain.sms.policy import RetryPolicy
from services.sms import accounts as registry_accounts
from services.sms.accounts import ProviderRegistry


@dataclass(frozen=True)
class ProviderAccount:
    """One usable provider account: its key, CRM record id, connector, polling interval (0 = pushed), the
    attempts a message gets before it is given up (SMS-22, -23) and its webhook key generation."""

    account_key: str
    record_id: str
    provider: SmsProvider
    is_default: bool = False
    poll_interval_s: int = 0
    max_attempts: int = RetryPolicy.max_attempts
    webhook_generation: int = 0


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


class RegistryAccountDirectory:
    """The sender's registry seen as an :class:`AccountDirectory`; accounts that cannot be built are left out
    (the registry has logged why, and the sender writes it on the SMS)."""

    def __init__(self, registry: ProviderRegistry):
        self._registry = registry

    @property
    def registry(self) -> ProviderRegistry:
        return self._registry

    def all(self) -> Sequence[ProviderAccount]:
        return tuple(view for view in map(_view, self._registry.accounts()) if view is not None)

    def get(self, account_key: str) -> ProviderAccount | None:
        found = self._registry.by_key(account_key)
        return _view(found) if found is not None else None

    def by_record_id(self, record_id: str | None) -> ProviderAccount | None:
        if record_id is not None:
            found = self._registry.by_id(record_id)
            return _view(found) if found is not None else None
        default = self._registry.default()
        view = _view(default) if default is not None else None
        if view is not None:
            return view
        usable = self.all()
        return usable[0] if usable else None


def _view(account: registry_accounts.ProviderAccount) -> ProviderAccount | None:
    if account.provider is None:
        return None
    return ProviderAccount(
        account_key=account.account_key,
        record_id=account.account_id,
        provider=account.provider,
        is_default=account.row.is_default,
        poll_interval_s=account.row.poll_interval_s or 0,
        max_attempts=account.retry_policy().max_attempts,
        webhook_generation=account.row.webhook_generation,
    )
