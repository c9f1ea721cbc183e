"""The generated name constants match the model, and no runtime code types a Dataverse name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import dataverse_schema
from dataverse_schema import names, names_source, navigation

ROOT = Path(__file__).resolve().parents[3]
#: Where no Dataverse table, column or navigation name may be typed: everything that runs against a CRM.
CHECKED = ("services", "functions", "bridge", "domain", "connectors", "cli", "function_app.py")
#: Column names that are also ordinary words: a literal equal to one of these is not taken for a
#: Dataverse name (the code still takes them from ``names`` where it means the column).
ORDINARY_WORDS = frozenset(
    {
        "name",
        "subject",
        "description",
        "title",
        "from",
        "to",
        "type",
        "body",
        "data",
        "query",
        "fax",
        "address",
        "account",
        "contact",
        "lead",
        "team",
        "queue",
        "list",
        "campaign",
        "priority",
        "status",
        "message",
        "number",
        "direction",
        "duration",
        "email",
        "source",
        "error",
        "attempts",
        "key",
        "kind",
        "text",
        "state",
        "company",
    }
)
#: Literals that spell a model name but mean something else there, each with what it is.
NOT_DATAVERSE = {
    ("connectors/documents/formats.py", "mimetype"): "the OpenDocument package part naming its media type",
    ("connectors/fax/myfax.py", "faxes"): "a field of MyFax's reply",
    ("connectors/sms/kavenegar.py", "isread"): "a parameter of Kavenegar's receive call",
    ("services/settings.py", "comms_balance"): "the default of a setting naming a column on the customer's own tables",
}
_CUSTOM = re.compile(r"\bcomms_[a-z0-9_]+")
_BIND = re.compile(r"^([a-z0-9_]+)@odata\.bind$")


def _model_names() -> frozenset[str]:
    found: set[str] = set()
    for t in dataverse_schema.TABLES.values():
        found |= {t.logical_name, t.entity_set_name, t.primary_id}
        for column in t.columns:
            found |= {column.logical_name, column.value_property}
    return frozenset(found - ORDINARY_WORDS)


def dataverse_names_in(text: str, model_names: frozenset[str]) -> list[str]:
    """The Dataverse names a string literal spells out (empty for ordinary text)."""
    hits = _CUSTOM.findall(text)
    stripped = text.strip()
    bind = _BIND.match(stripped)
    bound = bind.group(1).split("_")[0] if bind else None
    is_name = stripped in model_names or bound in model_names | {"partyid", "regardingobjectid", "ownerid"}
    if is_name and stripped not in hits:
        hits.append(stripped)
    return hits


def _literals(tree: ast.AST):
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def offenders(paths: tuple[str, ...] = CHECKED) -> list[str]:
    """``file:line: name`` for every Dataverse name typed as a literal under ``paths``."""
    model_names = _model_names()
    found = []
    for entry in paths:
        files = [ROOT / entry] if entry.endswith(".py") else sorted((ROOT / entry).rglob("*.py"))
        for path in files:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in _literals(tree):
                relative = path.relative_to(ROOT).as_posix()
                for hit in dataverse_names_in(node.value, model_names):
                    if (relative, hit) in NOT_DATAVERSE:
                        continue
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {hit}")
    return found


def test_the_checked_in_names_module_is_generated_from_the_current_model() -> None:
    assert Path(names.__file__).read_text(encoding="utf-8") == names_source.render(), (
        "dataverse_schema/names.py is stale: run python -m dataverse_schema.names_source"
    )


@pytest.mark.parametrize("t", list(dataverse_schema.TABLES.values()), ids=lambda t: t.logical_name)
def test_each_table_class_names_its_table_columns_and_lookups(t) -> None:
    cls = getattr(names, names_source.class_name(t))
    assert (t.logical_name, t.entity_set_name, t.primary_id) == (cls.TABLE, cls.SET, cls.ID)
    for column in t.columns:
        constant = names_source.constant_name(column.logical_name)
        assert getattr(cls, constant) == column.logical_name
        if column.is_lookup:
            assert getattr(cls, constant + "_VALUE") == f"_{column.logical_name}_value"


def test_a_declared_lookup_binds_by_its_relationship_navigation_name() -> None:
    for relationship in dataverse_schema.relationships():
        table = dataverse_schema.table(relationship.referencing)
        lookup = table.column(relationship.lookup)
        if len(lookup.targets) > 1:
            assert (
                navigation.customer(lookup.logical_name, relationship.referenced) == relationship.referencing_navigation
            )
            continue
        cls = getattr(names, names_source.class_name(table))
        nav = getattr(cls, names_source.constant_name(relationship.lookup) + "_NAV")
        assert nav == relationship.referencing_navigation
        if lookup.is_custom:
            assert nav == lookup.schema_name


def test_standard_and_custom_lookups_bind_by_the_names_dataverse_gives_them() -> None:
    assert names.Sms.SMSPROVIDERID_NAV == "comms_SmsProviderId"
    assert names.ListMember.LISTID_NAV == "listid"
    assert names.QueueItem.QUEUEID_NAV == "queueid"
    assert names.Account.PRIMARYCONTACTID_NAV == "primarycontactid"
    assert not hasattr(names.Contact, "PARENTCUSTOMERID_NAV")  # one per target: navigation.customer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("comms_pbxcallid", ["comms_pbxcallid"]),
        ("comms_systemkey eq 'pbx-1'", ["comms_systemkey"]),
        ("mobilephone", ["mobilephone"]),
        ("_ownerid_value", ["_ownerid_value"]),
        ("phonecalls", ["phonecalls"]),
        ("partyid_contact@odata.bind", ["partyid_contact@odata.bind"]),
        ("name", []),
        ("the caller hung up", []),
        ("Incoming call from %s", []),
    ],
)
def test_the_checker_tells_dataverse_names_from_ordinary_text(text, expected) -> None:
    assert dataverse_names_in(text, _model_names()) == expected


def test_no_runtime_code_types_a_dataverse_name() -> None:
    found = offenders()
    assert found == [], (
        f"{len(found)} Dataverse names typed outside dataverse_schema/ (take them from dataverse_schema.names):\n"
        + "\n".join(found[:60])
    )


def test_every_exemption_is_still_needed() -> None:
    model_names = _model_names()
    for (relative, word), meaning in NOT_DATAVERSE.items():
        source = (ROOT / relative).read_text(encoding="utf-8")
        spelt = any(word in dataverse_names_in(node.value, model_names) for node in _literals(ast.parse(source)))
        assert spelt, f"{relative} no longer spells {word!r} ({meaning}): drop the exemption"


def test_help_and_check_never_rewrite_the_file(monkeypatch, tmp_path, capsys) -> None:
    from dataverse_schema import names_source

    target = tmp_path / "names.py"
    target.write_text("stale", encoding="utf-8")
    monkeypatch.setattr(names_source, "TARGET", target)
    assert names_source.main(["--help"]) == 0 and target.read_text(encoding="utf-8") == "stale"
    assert names_source.main(["--bogus"]) == 2 and "usage" in capsys.readouterr().err
    assert names_source.main(["--check"]) == 1 and target.read_text(encoding="utf-8") == "stale"
    assert names_source.main([]) == 0 and names_source.main(["--check"]) == 0
