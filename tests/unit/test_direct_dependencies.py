"""Every third-party module the emulator imports at module level is a dependency pyproject.toml declares.

A module that arrives only as another package's dependency (PyJWT through msal, say) would vanish the day
that package stops needing it; so each one the code imports must be named in ``[project] dependencies``.
Imports inside functions are the optional extras' (requests-kerberos, Pillow) and are not checked here.
Only the emulator for now: connectors/ still imports urllib3 and pydantic_core, which arrive through
requests and pydantic.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("cli", "dataverse_schema", "domain", "connectors", "services", "functions", "bridge", "emulator", "solution")
CHECKED = ("emulator",)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_normal(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}


def _module_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_module_level_third_party_import_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    declared, ours = _declared(), set(PRODUCT)
    undeclared: dict[str, set[str]] = {}
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in _module_level_imports(path) - ours - set(sys.stdlib_module_names) - {"__future__"}:
                providers = {_normal(d) for d in distributions.get(name, [name])}
                if not providers & declared:
                    undeclared.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert not undeclared, undeclared
