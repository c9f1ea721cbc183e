"""Every privilege a CommSuite role names exists in Dataverse (issue 10, section 4).

An import refuses a role naming a privilege the environment does not have (the user table's
privileges are ``prvReadUser``, not ``prvReadSystemUser``). Standard tables' names are checked
against ``data/real_privileges.txt``, a list read from Microsoft's docs and public tools (each
line says where); the suite's own tables get ``prv<Right><SchemaName>`` for the rights their
ownership has, as Dataverse creates them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dataverse_schema.model import Ownership
from solution.privileges import STANDARD_PRIVILEGE_BASES
from solution.roles import ROLES
from solution.schema_components import solution_schema
from solution.security import ALL_ACCESS, ORGANISATION_ACCESS, privilege_base

DATA = Path(__file__).parent / "data" / "real_privileges.txt"


def real_standard_privileges() -> dict[str, str]:
    """Privilege name → the source it was read from."""
    names = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, source = line.split()
            names[name] = source
    return names


def custom_table_privileges() -> set[str]:
    names = set()
    for table in own_tables():
        accesses = ORGANISATION_ACCESS if table.ownership is Ownership.ORGANIZATION else ALL_ACCESS
        names |= {f"prv{access.value}{table.schema_name}" for access in accesses}
    return names


def own_tables():
    return [t for t in solution_schema().custom_tables if not t.is_activity]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.name)
def test_every_privilege_of_every_role_exists(role) -> None:
    known = set(real_standard_privileges()) | custom_table_privileges()
    unknown = sorted(set(role.privileges(solution_schema())) - known)
    assert unknown == []


def test_the_user_tables_privileges_are_named_user_not_systemuser() -> None:
    schema = solution_schema()
    assert privilege_base(schema.table("systemuser")) == "User"
    names = {n for role in ROLES for n in role.privileges(schema)}
    assert "prvReadUser" in names and not any("SystemUser" in n for n in names)


def test_every_source_is_named_in_the_data_file() -> None:
    header = DATA.read_text(encoding="utf-8").split("\nprv", 1)[0]
    for source in set(real_standard_privileges().values()):
        assert f"#   {source} " in header


def test_every_mapped_standard_base_has_a_read_privilege_in_the_list() -> None:
    real = real_standard_privileges()
    missing = sorted(base for base in set(STANDARD_PRIVILEGE_BASES.values()) if f"prvRead{base}" not in real)
    assert missing == []


def test_activity_tables_share_the_activity_privileges() -> None:
    schema = solution_schema()
    for name in ("phonecall", "fax", "comms_sms"):
        assert privilege_base(schema.table(name)) == "Activity"
