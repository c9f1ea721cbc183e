"""Remaining credit of every provider account, written onto its row with a low-credit flag (SMS-14).

The flag is set when the credit is at or below the row's Low-Credit Warning;
a credit of zero or less marks the account *Out of credit*. A failed read
says why on the row (authentication, unreachable) instead of raising, so one
broken account never hides the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.errors import AuthError, ConnectorError, RejectedError
from services.sms.accounts import ProviderAccount
from services.sms.rows import ProviderHealth
from services.sms.store import SmsStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreditReading:
    account_key: str
    health: ProviderHealth
    is_low: bool = False
    detail: str = ""


def read_balances(
    store: SmsStore, accounts: Sequence[ProviderAccount], *, clock: Callable[[], datetime]
) -> list[CreditReading]:
    """Read each usable account's credit and write it onto the account's row."""
    readings = []
    for account in accounts:
        if account.provider is None:
            readings.append(_write(store, account, ProviderHealth.UNKNOWN, account.problem or "not usable"))
            continue
        try:
            credit = account.provider.balance()
        except AuthError as exc:
            readings.append(_write(store, account, ProviderHealth.AUTH_FAILED, str(exc)))
            continue
        except RejectedError as exc:
            readings.append(_write(store, account, ProviderHealth.UNKNOWN, exc.reason))
            continue
        except ConnectorError as exc:
            readings.append(_write(store, account, ProviderHealth.UNREACHABLE, str(exc)))
            continue
        threshold = account.row.low_balance_threshold
        is_low = threshold is not None and credit.amount <= threshold
        health = ProviderHealth.OUT_OF_CREDIT if credit.amount <= 0 else ProviderHealth.WORKING
        store.update_provider(
            account.account_id,
            {
                "balance": float(credit.amount),
                "balance_unit": credit.unit,
                "balance_read_on": clock(),
                "is_low_balance": is_low,
                "health": health,
                "detail": f"credit {credit.amount} {credit.unit} is at or below the warning {threshold}"
                if is_low
                else "",
            },
        )
        if is_low:
            log.warning(
                "SMS provider account %s is low on credit",
                account.account_key,
                extra={"operation": "balance", "account": account.account_key},
            )
        readings.append(CreditReading(account.account_key, health, is_low))
    return readings


def _write(store: SmsStore, account: ProviderAccount, health: ProviderHealth, detail: str) -> CreditReading:
    store.update_provider(account.account_id, {"health": health, "detail": detail[:500]})
    log.warning(
        "credit of SMS provider account %s not read: %s",
        account.account_key,
        health.value,
        extra={"operation": "balance", "account": account.account_key},
    )
    return CreditReading(account.account_key, health, False, detail)
