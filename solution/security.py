"""Security roles and column security as data, rendered into the solution (SMS-19, X-04).

A :class:`SecurityRole` lists, per table, which rights (create, read, ...) it grants at
which depth (the user's own rows, their business unit, its children, the whole
organisation) and why. Dataverse names privileges ``prv<Right><Table>``; all activity
tables (phone calls, faxes, the suite's SMS) share the ``Activity`` privileges, so
their grants are merged at the widest depth asked for. Organisation-owned tables only
know organisation-wide depth and cannot be assigned or shared; a role that asks
otherwise is refused rather than silently changed.
"""

from __future__ import annotations

import enum
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from dataverse_schema.model import Ownership, Table
from solution.components import ComponentType, Contribution, RootComponent, SolutionSchema
from solution.privileges import STANDARD_PRIVILEGE_BASES


class Access(enum.Enum):
    CREATE = "Create"
    READ = "Read"
    WRITE = "Write"
    DELETE = "Delete"
    APPEND = "Append"
    APPEND_TO = "AppendTo"
    ASSIGN = "Assign"
    SHARE = "Share"


class Depth(enum.IntEnum):
    """How far a right reaches; ordered so the wider depth wins when grants merge."""

    BASIC = 1  # the user's own rows (and rows shared with them)
    LOCAL = 2  # the user's business unit
    DEEP = 3  # the business unit and its children
    GLOBAL = 4  # the whole organisation

    @property
    def level(self) -> str:
        return self.name.capitalize()


ALL_ACCESS = tuple(Access)
#: Rights that exist on organisation-owned tables.
ORGANISATION_ACCESS = (Access.CREATE, Access.READ, Access.WRITE, Access.DELETE, Access.APPEND, Access.APPEND_TO)


@dataclass(frozen=True)
class Grant:
    """The rights one role has on one table, and why; no rights at all is a considered entry too."""

    table: str
    rights: tuple[tuple[Access, Depth], ...]
    rationale: str

    def depth_of(self, access: Access) -> Depth | None:
        return next((depth for granted, depth in self.rights if granted is access), None)


def rights(depth: Depth, *accesses: Access) -> tuple[tuple[Access, Depth], ...]:
    """``rights(Depth.BASIC, Access.READ, Access.WRITE)`` → the pairs a :class:`Grant` holds."""
    return tuple((access, depth) for access in accesses)


@dataclass(frozen=True)
class SecurityRole:
    """A role shipped with the solution; ``id`` never changes, so upgrades update it in place."""

    name: str
    id: str
    description: str
    grants: tuple[Grant, ...]

    def grant_for(self, table: str) -> Grant:
        for grant in self.grants:
            if grant.table == table:
                return grant
        raise KeyError(f"{self.name} says nothing about {table}")

    def privileges(self, schema: SolutionSchema) -> dict[str, Depth]:
        """Privilege name → depth, merged across tables that share privileges."""
        tables = [grant.table for grant in self.grants]
        twice = sorted({table for table in tables if tables.count(table) > 1})
        if twice:
            # grant_for() would read only the first entry, so the role would say one thing and grant another
            raise ValueError(f"{self.name} has more than one entry for {', '.join(twice)}")
        merged: dict[str, Depth] = {}
        for grant in self.grants:
            table = schema.table(grant.table)
            _check_grant(self.name, table, grant)
            for access, depth in grant.rights:
                name = f"prv{access.value}{privilege_base(table)}"
                merged[name] = max(depth, merged.get(name, depth))
        return merged

    def element(self, schema: SolutionSchema, introduced_version: str = "1.0.0.0") -> ET.Element:
        role = ET.Element("Role", {"id": "{" + self.id + "}", "name": self.name})
        ET.SubElement(role, "IsCustomizable").text = "1"
        ET.SubElement(role, "IntroducedVersion").text = introduced_version
        privileges = ET.SubElement(role, "RolePrivileges")
        for name, depth in sorted(self.privileges(schema).items()):
            ET.SubElement(privileges, "RolePrivilege", {"name": name, "level": depth.level})
        return role


@dataclass(frozen=True)
class SecuredColumns:
    """A column security profile: the columns only its members (and system administrators) see.

    Members may read, create and update each column, or only read them when ``read_only``
    (``CanRead`` 4, ``CanUpdate`` and ``CanCreate`` 0, as Dataverse exports a read-only permission).
    """

    name: str
    id: str
    description: str
    columns: tuple[tuple[str, str], ...]
    read_only: bool = False

    def element(self) -> ET.Element:
        profile = ET.Element(
            "FieldSecurityProfile",
            {
                "name": self.name,
                "description": self.description,
                "fieldsecurityprofileid": "{" + self.id + "}",
            },
        )
        permissions = ET.SubElement(profile, "FieldPermissions")
        change = "0" if self.read_only else "4"
        for table, column in self.columns:
            permission = ET.SubElement(permissions, "FieldPermission")
            for tag, text in (
                ("EntityName", table),
                ("AttributeName", column),
                ("CanRead", "4"),
                ("CanUpdate", change),
                ("CanCreate", change),
            ):
                ET.SubElement(permission, tag).text = text
        return profile


def privilege_base(table: Table) -> str:
    """The table part of a privilege name: ``Activity`` for every activity table."""
    if table.is_activity:
        return "Activity"
    if table.is_custom:
        return table.schema_name
    try:
        return STANDARD_PRIVILEGE_BASES[table.logical_name]
    except KeyError:
        raise ValueError(f"no privilege name known for standard table {table.logical_name}") from None


def _check_grant(role: str, table: Table, grant: Grant) -> None:
    accesses = [access for access, _ in grant.rights]
    if len(set(accesses)) != len(accesses):
        raise ValueError(f"{role}: {table.logical_name} lists a right twice")
    if table.ownership is Ownership.ORGANIZATION and not table.is_activity:
        wrong = [a.value for a, d in grant.rights if a not in ORGANISATION_ACCESS or d is not Depth.GLOBAL]
        if wrong:
            raise ValueError(
                f"{role}: {table.logical_name} is organisation-owned; {wrong} must be "
                "organisation-wide and cannot be assign or share"
            )


class SecurityRoles:
    """Component provider: the roles and column security profiles of the solution."""

    name = "security"

    def __init__(
        self, roles: Iterable[SecurityRole] | None = None, profiles: Iterable[SecuredColumns] | None = None
    ) -> None:
        from solution.roles import ROLES, SECURED_COLUMNS

        self.roles = tuple(ROLES if roles is None else roles)
        self.profiles = tuple(SECURED_COLUMNS if profiles is None else profiles)

    def contribute(self, schema: SolutionSchema) -> Contribution:
        contribution = Contribution(
            sections={
                "Roles": [role.element(schema) for role in self.roles],
                "FieldSecurityProfiles": [profile.element() for profile in self.profiles],
            },
            secured_columns={column for profile in self.profiles for column in profile.columns},
        )
        contribution.root_components += [RootComponent(ComponentType.ROLE, id=role.id) for role in self.roles]
        contribution.root_components += [
            RootComponent(ComponentType.FIELD_SECURITY_PROFILE, id=profile.id) for profile in self.profiles
        ]
        return contribution
