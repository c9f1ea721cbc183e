"""The users and roles an emulated organisation starts with (:mod:`emulator.server.security`).

Every organisation has the *System Administrator* role, and its application user holds it
(:mod:`emulator.store.builtin`). On-premises,
each Windows / AD FS test account of the profile is a ``systemuser`` whose ``domainname`` is the account
(``CONTOSO\\crmservice``), holding *System Administrator* too, so a signed-in account reads everything as
before. Users, roles and the pairs of ``systemuserroles_association`` are ordinary rows: tests add users,
create roles, ``AddPrivilegesRole`` and associate them through the Web API as on a real server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from emulator.errors import ODataError
from emulator.odata import parse_record_ref
from emulator.store import builtin

if TYPE_CHECKING:
    from emulator.server.profiles import Account
    from emulator.store import Store

_ACCOUNTS = uuid.UUID("0b7c2f5e-31a8-4d0e-9c61-6a1f2d4e8b30")


def account_user_id(username: str) -> str:
    """The ``systemuserid`` of a profile's test account (stable across runs)."""
    return str(uuid.uuid5(_ACCOUNTS, username.lower()))


def install_roles(store: Store, accounts: Iterable[Account]) -> None:
    """Give each of the profile's accounts a ``systemuser`` holding System Administrator (the store gives the
    application user that role)."""
    users = []
    for account in accounts:
        user_id = account_user_id(account.username)
        users.append(user_id)
        body = {
            "systemuserid": user_id,
            "domainname": account.username,
            "fullname": account.username.replace("\\", " ").split("@")[0],
            "businessunitid@odata.bind": f"/businessunits({builtin.BUSINESS_UNIT_ID})",
        }
        try:
            store.create("systemusers", body)
        except ODataError as error:
            if error.status != 412:  # already there from an earlier run of this database
                raise
    role = f"roles({builtin.SYSTEM_ADMINISTRATOR_ID})"
    for user_id in users:
        try:
            store.relate("systemusers", parse_record_ref(user_id), builtin.USER_ROLES.schema_name, role, remove=False)
        except ODataError as error:
            if error.status != 412:
                raise
