"""Provider accounts built from the CRM's SMS Provider rows (SMS-13, -18, -22, -23).

An admin adds a provider of a known kind by filling a row: the kind, the
account key, the API address, the user name, *where* the secret is kept (the
name of an app setting, which in Azure may itself be a Key Vault reference)
and any other settings as JSON. This registry turns each row into a connector
once and keeps it while the row is unchanged, so SOAP connectors parse their
WSDL once per worker. A row that cannot be built keeps its problem in words;
the sender writes it onto the SMS instead of failing obscurely.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from pydantic import ValidationError

from connectors.errors import ConnectorError, RejectedError
from connectors.settings import Secret
from connectors.sms import PROVIDERS, SmsProvider, build_provider
from domain.digits import digit_setting
from domain.sms.policy import MAX_RETRY_ATTEMPTS, RetryPolicy
from services.settings import SettingsSource
from services.sms.rows import ProviderRow
from services.sms.store import SmsStore

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 300.0
#: After a failed re-read, how long the accounts already read are used before the next try (seconds).
STALE_RETRY_S = 30.0
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class UnusableAccountError(RuntimeError):
    """An account without a connector reached a code path that needs one (routing lets only usable ones through)."""


@dataclass(frozen=True)
class ProviderAccount:
    """One provider account row and its connector, or the reason it has none."""

    row: ProviderRow
    provider: SmsProvider | None
    problem: str | None = None

    @property
    def account_id(self) -> str:
        return self.row.account_id

    @property
    def account_key(self) -> str:
        return self.row.account_key

    def connector(self) -> SmsProvider:
        """The account's connector; :class:`UnusableAccountError` (with the row's problem) when it has none."""
        if self.provider is None:
            raise UnusableAccountError(
                f"SMS provider account {self.account_key} cannot be used: {self.problem or 'it has no connector'}"
            )
        return self.provider

    @property
    def default_sender(self) -> str | None:
        """The line the provider settings name as default, shown on the SMS when no number is chosen."""
        try:
            settings = json.loads(self.row.settings_json or "{}")
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            return None
        sender = settings.get("default_sender") if isinstance(settings, dict) else None
        return digit_setting(sender) or None if isinstance(sender, str) else None

    def retry_policy(self) -> RetryPolicy:
        """Send Attempts and Retry Interval of the row (SMS-22, -23), with safe defaults."""
        attempts = min(max(self.row.max_attempts or RetryPolicy.max_attempts, 1), MAX_RETRY_ATTEMPTS)
        first = self.row.retry_interval_s if self.row.retry_interval_s is not None else RetryPolicy.first_delay_s
        return RetryPolicy(max_attempts=attempts, first_delay_s=first, max_delay_s=max(first, RetryPolicy.max_delay_s))


class ProviderRegistry:
    """Every active provider account, refreshed from Dataverse at most every ``ttl_s`` seconds."""

    def __init__(
        self,
        store: SmsStore,
        *,
        session: requests.Session,
        secrets: SettingsSource,
        clock: Callable[[], datetime],
        ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        self._store = store
        self._session = session
        self._secrets = secrets
        self._clock = clock
        self._ttl_s = ttl_s
        self._accounts: list[ProviderAccount] = []
        self._loaded_at: datetime | None = None
        self._built: dict[tuple[str, datetime | None], ProviderAccount] = {}

    def accounts(self) -> list[ProviderAccount]:
        """The active accounts, re-read after ``ttl_s``. When Dataverse is unavailable for a re-read the
        accounts already read are kept (a webhook can still be authenticated and its texts held) and the
        re-read is tried again after :data:`STALE_RETRY_S`; the first read's failure is raised."""
        now = self._clock()
        if self._loaded_at is None or (now - self._loaded_at).total_seconds() >= self._ttl_s:
            try:
                self.refresh()
            except ConnectorError as exc:
                if self._loaded_at is None or isinstance(exc, RejectedError):
                    raise
                log.warning(
                    "SMS provider accounts not re-read (%s); using the %d read before",
                    type(exc).__name__,
                    len(self._accounts),
                    extra={"operation": "sms_accounts"},
                )
                self._loaded_at = now - timedelta(seconds=max(0.0, self._ttl_s - STALE_RETRY_S))
        return list(self._accounts)

    def refresh(self) -> None:
        """Re-read the rows now (after an admin changed one, or in tests)."""
        accounts = []
        for row in self._store.providers():
            cache_key = (row.account_id, row.modified_on)
            account = self._built.get(cache_key) if row.modified_on is not None else None
            if account is None or account.row != row:
                account = self._build(row)
                self._built[cache_key] = account
            accounts.append(account)
        self._accounts = accounts
        self._loaded_at = self._clock()

    def by_id(self, account_id: str) -> ProviderAccount | None:
        return next((a for a in self.accounts() if a.account_id.lower() == account_id.lower()), None)

    def by_key(self, account_key: str) -> ProviderAccount | None:
        return next((a for a in self.accounts() if a.account_key == account_key), None)

    @property
    def session(self) -> requests.Session:
        """The provider session the connectors are built on (it never carries a Dataverse token)."""
        return self._session

    def settings_of(self, row: ProviderRow) -> dict[str, Any]:
        """The connector settings ``row`` describes, secret included (:func:`provider_settings`; for a test send)."""
        return provider_settings(row, self._secrets)

    def default(self) -> ProviderAccount | None:
        """The account flagged default (SMS-13); when several are, the one changed last wins."""
        flagged = [a for a in self.accounts() if a.row.is_default]
        if len(flagged) > 1:
            log.warning("%d SMS provider accounts are flagged default; using the one changed last", len(flagged))
        flagged.sort(key=lambda a: a.row.modified_on.timestamp() if a.row.modified_on else 0.0, reverse=True)
        return flagged[0] if flagged else None

    def _build(self, row: ProviderRow) -> ProviderAccount:
        try:
            settings = provider_settings(row, self._secrets)
            provider = build_provider(row.kind, settings, session=self._session)
        except (KeyError, ValueError) as exc:
            problem = _describe(row, exc)
            log.warning("SMS provider account %s cannot be used: %s", row.account_key, problem)
            return ProviderAccount(row, None, problem)
        return ProviderAccount(row, provider)


def provider_settings(row: ProviderRow, secrets: SettingsSource) -> dict[str, Any]:
    """The connector settings a row describes; ``ValueError`` naming what is wrong, ``KeyError`` for a bad kind."""
    if row.kind not in PROVIDERS:
        raise KeyError(row.kind)
    model = PROVIDERS[row.kind].settings_model
    try:
        settings = json.loads(row.settings_json) if row.settings_json else {}
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise ValueError("Other Settings is not valid JSON") from None
    if not isinstance(settings, dict):
        raise ValueError('Other Settings must be a JSON object such as {"default_sender": "3000123"}')
    if isinstance(settings.get("default_sender"), str):
        settings["default_sender"] = digit_setting(settings["default_sender"])  # typed "۳۰۰۰۱۲۳"
    if row.base_url:
        settings["base_url"] = row.base_url
    if row.user_name and "username" in model.model_fields:
        settings["username"] = row.user_name
    if row.panel_description and "description" in model.model_fields:
        settings["description"] = row.panel_description
    secret_fields = [name for name, info in model.model_fields.items() if info.annotation is Secret]
    if secret_fields:
        settings[secret_fields[0]] = _secret(row, secrets)
    return settings


def _secret(row: ProviderRow, secrets: SettingsSource) -> str:
    reference = (row.credential_reference or "").strip()
    if not reference:
        raise ValueError("Credential Reference is empty: name the app setting that holds the key or password")
    if not _SETTING_NAME.fullmatch(reference):
        raise ValueError(
            "Credential Reference must be the name of an app setting (put a Key Vault reference "
            "in that app setting, not here)"
        )
    value = secrets.get(reference)
    if not value:
        raise ValueError(f"the app setting {reference} named by Credential Reference is not set")
    return value


def _describe(row: ProviderRow, exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"unknown provider kind {row.kind!r}; known kinds: {', '.join(sorted(PROVIDERS))}"
    if isinstance(exc, ValidationError):
        fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        return f"settings refused: {fields}"
    return str(exc)
