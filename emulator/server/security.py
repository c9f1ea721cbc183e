"""Who is calling, and which rows they may read: Dataverse's role-based and record-based security for reads.

Sources (Microsoft Learn): "Security concepts in Microsoft Dataverse" and "How access to a record is
determined" (https://learn.microsoft.com/power-platform/admin/wp-security-cds,
https://learn.microsoft.com/power-apps/developer/data-platform/security-access-coding), "Impersonate another
user using the Web API" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api)
and "Troubleshoot Dataverse client errors"
(https://learn.microsoft.com/troubleshoot/power-platform/dataverse/user-permissions/client-errors).

**The caller.** Online, every bearer token is the emulator's application user. On-premises, the Windows
(NTLM) or AD FS account is the ``systemuser`` whose ``domainname`` it is; the profile's accounts are
created at start-up holding *System Administrator*. A request may act as another user with the header
``CallerObjectId`` (Entra object id → ``azureactivedirectoryobjectid``) or ``MSCRMCallerID``
(``systemuserid``); the signed-in user needs ``prvActOnBehalfOfAnotherUser`` (System Administrator has
it), and what the pair may do is the intersection of both users' privileges.

**Privileges.** Roles are ``role`` rows, given to users through ``systemuserroles_association``; their
privileges are added with ``roles(<id>)/Microsoft.Dynamics.CRM.AddPrivilegesRole`` by name
(``prvReadActivity`` at ``Basic``). *System Administrator* holds every privilege at organisation depth.
A read of a table needs ``prvRead<table>`` (``prvReadActivity`` for every activity table); without it
the answer is 403 ``0x80040220`` (PrivilegeDenied, -2147220960). With it, the depth decides the rows:

* ``Global``: every row;
* ``Deep`` / ``Local``: rows owned by users or teams of the caller's business unit (and its children);
* ``Basic``: rows the caller owns, rows owned by a team the caller is a member of, rows shared with the
  caller or one of those teams (``GrantAccess`` with ``ReadAccess``, :mod:`emulator.server.access`).

Collections, ``$count``, collection-valued navigation and FetchXML leave out the other rows; a record by
id that exists but is out of reach is 403 ``0x80048306`` (-2147187962, "Principal with ID ... does not have
ReadAccess right(s) for record with ID ... of entity ..."). Writes, ``$expand`` and FetchXML link-entities
are not checked.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dataverse_schema.model import Ownership, Table
from emulator.errors import ODataError, bad_request
from emulator.odata.refs import RecordRef
from emulator.odata.sql import quote
from emulator.store import builtin
from emulator.store.keys import ref_where
from emulator.store.schema import Layout

if TYPE_CHECKING:
    from emulator.server.context import Service
    from emulator.server.wire import ApiRequest

IMPERSONATE = "prvActOnBehalfOfAnotherUser"
#: ``PrivilegeDepth`` of the Web API, by name and by value.
DEPTHS = {"Basic": 1, "Local": 2, "Deep": 3, "Global": 4}
_DEPTH_VALUES = {0: 1, 1: 2, 2: 3, 3: 4}
GLOBAL = DEPTHS["Global"]
PRIVILEGE_DENIED = "0x80040220"
ACCESS_DENIED = "0x80048306"
NOT_FOUND = "0x80040217"
#: Standard tables whose privileges are not named after their schema name (``prvReadUser``, ``prvReadNote``).
_PRIVILEGE_BASES = {"systemuser": "User", "annotation": "Note", "savedquery": "Query"}
_RIGHTS = ("Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share")
#: Tables nobody's privileges govern: they have no owner and no privileges of their own.
_UNGOVERNED = frozenset({Ownership.NONE})


@dataclass(frozen=True)
class Caller:
    """The user a request runs as, and (when impersonating) the signed-in user acting for them."""

    user_id: str
    actor_id: str | None = None


@dataclass(frozen=True)
class Grants:
    """What one user holds: their business unit, teams and merged privileges (``None``: System Administrator)."""

    user_id: str
    business_unit: str | None
    teams: tuple[str, ...]
    privileges: Mapping[str, int] | None
    role_count: int

    def depth(self, privilege: str) -> int | None:
        if self.privileges is None:
            return GLOBAL
        return self.privileges.get(privilege)


@dataclass(frozen=True)
class Scope:
    """The rows a caller may read of one table: owned by ``owners`` or one of ``records`` (shared)."""

    owner_column: str
    owners: tuple[str, ...]
    primary_id: str
    records: tuple[str, ...]

    def sql(self, prefix: str = "") -> tuple[str, list[object]]:
        """A ``WHERE`` condition (``prefix`` is a table alias such as ``t0.``) and its parameters."""
        owner = f"lower({prefix}{quote(self.owner_column)})"
        record = f"lower({prefix}{quote(self.primary_id)})"
        parts = [f"{owner} IN ({', '.join('?' * len(self.owners))})"] if self.owners else []
        if self.records:
            parts.append(f"{record} IN ({', '.join('?' * len(self.records))})")
        return f"({' OR '.join(parts) or '0'})", [*self.owners, *self.records]


def privilege_name(table: Table, right: str = "Read") -> str:
    """``prv<Right><Table>``: ``Activity`` for activity tables, the schema name otherwise (with exceptions)."""
    if table.is_activity:
        return f"prv{right}Activity"
    return f"prv{right}{_PRIVILEGE_BASES.get(table.logical_name, table.schema_name)}"


def known_privilege(tables: Mapping[str, Table], name: str) -> bool:
    """Whether ``name`` is a privilege of an installed table, or ``prvActOnBehalfOfAnotherUser``."""
    if name == IMPERSONATE:
        return True
    return any(privilege_name(table, right) == name for table in tables.values() for right in _RIGHTS)


def identify(service: Service, request: ApiRequest) -> Caller:
    """The caller of ``request``: the signed-in user, or the user an impersonation header names."""
    if request.caller is not None:  # an operation of a $batch: the batch's signed-in user
        signed_in = request.caller.actor_id or request.caller.user_id
    else:
        signed_in = _signed_in_user(service, request.principal)
    object_id, user_id = request.header("CallerObjectId"), request.header("MSCRMCallerID")
    if object_id is None and user_id is None:
        return request.caller if request.caller is not None else Caller(signed_in)
    column, value = ("azureactivedirectoryobjectid", object_id) if object_id else ("systemuserid", user_id)
    target = _impersonated(service, column, str(value))
    actor = grants(service, signed_in)
    if actor.depth(IMPERSONATE) is None:
        raise _missing_privilege(actor, IMPERSONATE, "systemuser")
    return Caller(target, signed_in)


def read_scope(service: Service, request: ApiRequest, table: Table) -> Scope | None:
    """The rows of ``table`` the caller may read (None: all); 403 ``0x80040220`` without read privilege."""
    caller = request.caller
    if caller is None or table.ownership in _UNGOVERNED:
        return None
    privilege = privilege_name(table)
    mine = grants(service, caller.user_id)
    depth = mine.depth(privilege)
    if depth is None:
        raise _missing_privilege(mine, privilege, table.logical_name)
    if caller.actor_id is not None:
        actor = grants(service, caller.actor_id)
        actor_depth = actor.depth(privilege)
        if actor_depth is None:
            raise _missing_privilege(actor, privilege, table.logical_name)
        depth = min(depth, actor_depth)
    if depth == GLOBAL or table.ownership is Ownership.ORGANIZATION:
        return None
    return _scope(service, table, mine, depth)


def check_record(service: Service, request: ApiRequest, table: Table, ref: RecordRef) -> None:
    """403 ``0x80048306`` when the record ``ref`` exists but the caller may not read it."""
    scope = read_scope(service, request, table)
    if scope is None or request.caller is None:
        return
    where, params = ref_where(service.store.layouts[table.logical_name], ref)
    condition, scope_params = scope.sql()
    with service.store.reading() as (connection, layouts, _):
        sql_name = layouts[table.logical_name].sql_name
        row = connection.execute(f"SELECT {quote(table.primary_id)} FROM {sql_name} WHERE {where}", params).fetchone()
        if row is None:
            return  # the read answers its own 404
        readable = connection.execute(
            f"SELECT 1 FROM {sql_name} WHERE {where} AND {condition}", [*params, *scope_params]
        ).fetchone()
    if readable is None:
        raise ODataError(
            403,
            ACCESS_DENIED,
            f"Principal with ID {request.caller.user_id} does not have ReadAccess right(s) for record with ID "
            f"{row[0]} of entity {table.logical_name}.",
        )


def whoami(service: Service, request: ApiRequest) -> dict[str, str]:
    """``WhoAmI``'s answer for the caller (the impersonated user when a header names one)."""
    user_id = request.caller.user_id if request.caller is not None else builtin.APP_USER_ID
    unit = grants(service, user_id).business_unit or builtin.BUSINESS_UNIT_ID
    return {"BusinessUnitId": unit, "UserId": user_id, "OrganizationId": builtin.ORGANIZATION_ID}


def grants(service: Service, user_id: str) -> Grants:
    """The business unit, teams and merged role privileges of the user ``user_id``."""
    with service.store.reading() as (connection, layouts, _):
        user = connection.execute(
            f"SELECT businessunitid FROM {layouts['systemuser'].sql_name} WHERE lower(systemuserid) = ?", (user_id,)
        ).fetchone()
        roles = _linked(connection, layouts, "systemuser", "systemuserroles_association", user_id)
        teams = _linked(connection, layouts, "systemuser", "teammembership_association", user_id)
    unit = str(user[0]).lower() if user is not None and user[0] else None
    if builtin.SYSTEM_ADMINISTRATOR_ID in roles:
        return Grants(user_id, unit, teams, None, len(roles))
    merged: dict[str, int] = {}
    for role in roles:
        for name, depth in service.role_privileges.get(role, {}).items():
            merged[name] = max(depth, merged.get(name, depth))
    return Grants(user_id, unit, teams, merged, len(roles))


def add_privileges(service: Service, role_id: str, body: Mapping[str, object]) -> None:
    """``AddPrivilegesRole``: ``{"Privileges": [{"PrivilegeName": "prvReadActivity", "Depth": "Basic"}, ...]}``."""
    privileges = body.get("Privileges")
    if not isinstance(privileges, list) or not privileges:
        raise bad_request("AddPrivilegesRole needs Privileges: a list of RolePrivilege objects.")
    added: dict[str, int] = {}
    for item in privileges:
        if not isinstance(item, dict):
            raise bad_request("Each privilege must be a RolePrivilege object.")
        name, depth = item.get("PrivilegeName"), item.get("Depth")
        if not isinstance(name, str) or not known_privilege(service.store.tables, name):
            raise bad_request(
                f"Unknown privilege {str(name)[:80]!r}: the emulator takes privileges by PrivilegeName "
                "(prv<Right><Table>, e.g. prvReadActivity)."
            )
        level = DEPTHS.get(depth) if isinstance(depth, str) else _DEPTH_VALUES.get(depth)  # type: ignore[arg-type]
        if level is None:
            raise bad_request(f"Depth must be one of {', '.join(DEPTHS)}; got {str(depth)[:40]!r}.")
        added[name] = level
    service.role_privileges.setdefault(role_id.lower(), {}).update(added)


def _scope(service: Service, table: Table, mine: Grants, depth: int) -> Scope:
    sharers = {mine.user_id, *mine.teams}
    deep = depth >= DEPTHS["Deep"]
    if table.ownership is Ownership.BUSINESS:
        # A business-owned row (a user, a team) belongs to a unit: Basic reads as Local there.
        owner_column, owners = "businessunitid", _units(service, mine.business_unit, deep=deep)
    else:
        owner_column, owners = "ownerid", set(sharers)
        if depth > DEPTHS["Basic"]:
            owners |= _unit_principals(service, mine.business_unit, deep=deep)
    shared = tuple(
        sorted(
            record_id
            for (logical, record_id), shares in service.shares.items()
            if logical == table.logical_name
            and any(pid in sharers and "ReadAccess" in rights for (_, pid), rights in shares.items())
        )
    )
    return Scope(owner_column, tuple(sorted(owners)), table.primary_id, shared)


def _unit_principals(service: Service, unit: str | None, *, deep: bool) -> set[str]:
    units = _units(service, unit, deep=deep)
    if not units:
        return set()
    marks = ", ".join("?" * len(units))
    found: set[str] = set()
    with service.store.reading() as (connection, layouts, _):
        for logical in ("systemuser", "team"):
            layout = layouts.get(logical)
            if layout is None or not layout.table.has_column("businessunitid"):
                continue
            primary = quote(layout.table.primary_id)
            rows = connection.execute(
                f"SELECT {primary} FROM {layout.sql_name} WHERE lower(businessunitid) IN ({marks})", list(units)
            ).fetchall()
            found.update(str(row[0]).lower() for row in rows)
    return found


def _units(service: Service, unit: str | None, *, deep: bool) -> set[str]:
    if unit is None:
        return set()
    units, frontier = {unit}, [unit]
    with service.store.reading() as (connection, layouts, _):
        layout = layouts["businessunit"]
        while deep and frontier and layout.table.has_column("parentbusinessunitid"):
            marks = ", ".join("?" * len(frontier))
            rows = connection.execute(
                f"SELECT businessunitid FROM {layout.sql_name} WHERE lower(parentbusinessunitid) IN ({marks})",
                frontier,
            ).fetchall()
            frontier = [str(row[0]).lower() for row in rows if str(row[0]).lower() not in units]
            units.update(frontier)
    return units


def _linked(
    connection: sqlite3.Connection, layouts: Mapping[str, Layout], table: str, navigation: str, record_id: str
) -> tuple[str, ...]:
    association = layouts[table].associations.get(navigation)
    if association is None:
        return ()
    rows = connection.execute(
        f"SELECT {quote(association.other_column)} FROM {association.sql_name} "
        f"WHERE lower({quote(association.own_column)}) = ?",
        (record_id,),
    ).fetchall()
    return tuple(str(row[0]).lower() for row in rows)


def _signed_in_user(service: Service, principal: str | None) -> str:
    """The ``systemuser`` of a Windows / AD FS account (by ``domainname``); the application user online."""
    if principal is None:
        return builtin.APP_USER_ID
    with service.store.reading() as (connection, layouts, _):
        row = connection.execute(
            f"SELECT systemuserid FROM {layouts['systemuser'].sql_name} WHERE domainname = ?", (principal,)
        ).fetchone()
    if row is None:
        raise ODataError(401, "0x80072560", f"The user {principal} is not a user of this organisation.")
    return str(row[0]).lower()


def _impersonated(service: Service, column: str, value: str) -> str:
    try:
        wanted = str(uuid.UUID(value.strip().strip("{}")))
    except ValueError:
        raise bad_request(f"The impersonation header must be a GUID; got '{value[:60]}'.") from None
    with service.store.reading() as (connection, layouts, _):
        layout = layouts["systemuser"]
        if not layout.table.has_column(column):
            row = None
        else:
            row = connection.execute(
                f"SELECT systemuserid FROM {layout.sql_name} WHERE lower({quote(column)}) = ?", (wanted,)
            ).fetchone()
    if row is None:
        key = "Id" if column == "systemuserid" else "AzureActiveDirectoryObjectId"
        raise ODataError(404, NOT_FOUND, f"systemuser With {key} = {wanted} Does Not Exist")
    return str(row[0]).lower()


def _missing_privilege(holder: Grants, privilege: str, entity: str) -> ODataError:
    count = len(holder.privileges) if holder.privileges is not None else 0
    return ODataError(
        403,
        PRIVILEGE_DENIED,
        f"Principal user (Id={holder.user_id}, type=8, roleCount={holder.role_count}, privilegeCount={count}, "
        f"accessMode=0), is missing {privilege} privilege for entity '{entity}'.",
    )
