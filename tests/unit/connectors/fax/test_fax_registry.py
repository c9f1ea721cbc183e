"""The fax server registry is complete, alphabetical, and every kind has a test module with a canary."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import connectors.fax as fax
from connectors.fax import SERVERS

PACKAGE = Path(fax.__file__).parent
TESTS = Path(__file__).parent
HELPERS = {"__init__", "base"}
CANARY_TEST = re.compile(r"def test_\w*canary")


def _kind_modules() -> set[str]:
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in HELPERS and not p.stem.startswith("_")}
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    return modules | packages


def _module_of(cls: type) -> str:
    return cls.__module__.split(".")[2]  # connectors.fax.<kind>[.<module>]


def test_every_module_in_the_folder_is_registered() -> None:
    assert _kind_modules() - {_module_of(cls) for cls in SERVERS.values()} == set()


def test_registry_is_written_in_alphabetical_order() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    (literal,) = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "SERVERS"
    ]
    keys = [k.value for k in literal.keys]
    assert keys == sorted(keys)


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_every_kind_has_a_test_module_with_a_canary(kind) -> None:
    module = _module_of(SERVERS[kind])
    tests = sorted(TESTS.glob(f"test_{module}*.py"))
    assert tests, f"{kind} has no test_{module}*.py"
    assert any(CANARY_TEST.search(t.read_text(encoding="utf-8")) for t in tests), f"{kind} has no canary test"


@pytest.mark.parametrize("kind, cls", sorted(SERVERS.items()))
def test_registered_classes_keep_the_interface(kind, cls) -> None:
    assert cls.kind == kind
    for name in (
        "check",
        "submit",
        "status",
        "find_by_key",
        "cancel",
        "list_received",
        "fetch_received",
        "mark_processed",
    ):
        assert callable(getattr(cls, name)), f"{kind} lacks {name}"
