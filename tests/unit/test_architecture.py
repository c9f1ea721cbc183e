"""The layering in DESIGN.md, checked on the source: imports point down only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"dataverse_schema", "domain", "connectors", "services", "functions", "bridge", "emulator", "solution", "cli"}

ALLOWED_OURS = {
    "dataverse_schema": {"dataverse_schema"},
    "domain": {"domain", "dataverse_schema"},
    "connectors": {"connectors", "domain", "dataverse_schema"},
    "services": {"services", "connectors", "domain", "dataverse_schema"},
    "emulator": {"emulator", "dataverse_schema"},
    "solution": {"solution", "dataverse_schema"},
}

#: Modules that do I/O, read the clock or the environment: not for domain/.
IMPURE_MODULES = {
    "os", "sys", "io", "time", "socket", "ssl", "sqlite3", "asyncio", "subprocess", "threading", "logging",
    "urllib", "http", "requests", "msal", "azure", "zeep", "panoramisk", "serial", "paramiko", "shutil",
    "tempfile", "pathlib", "random", "secrets",
}
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(ALLOWED_OURS))
def test_imports_point_down_only(package: str) -> None:
    offenders = []
    for path in _python_files(package):
        ours = _imported_roots(ast.parse(path.read_text(encoding="utf-8"))) & OURS
        wrong = ours - ALLOWED_OURS[package]
        if wrong:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(wrong)}")
    assert offenders == []


def test_domain_does_no_io_and_reads_no_clock() -> None:
    offenders = []
    for path in _python_files("domain"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        impure = _imported_roots(tree) & IMPURE_MODULES
        if impure:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(impure)}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (node.value.id, node.attr) in CLOCK_CALLS
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} reads the clock ({node.value.id}.{node.attr})")
    assert offenders == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    tree = ast.parse("import requests\nfrom connectors.errors import ConnectorError\n")
    assert _imported_roots(tree) == {"requests", "connectors"}


def test_services_never_import_the_functions_host() -> None:
    offenders = [str(path.relative_to(ROOT)) for path in _python_files("services")
                 if any(name == "azure.functions" or name.startswith("azure.functions.")
                        for name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))))]
    assert offenders == []


def _imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names
