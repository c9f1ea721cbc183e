"""The layering in DESIGN.md, checked on the source: imports point down only.

Every top-level package, ``bench/`` and ``function_app.py`` is a *unit* with a list of the
units it may import. An import is found in any of its forms: ``import a.b``, ``from a import b``,
relative imports (resolved to the absolute module), ``importlib.import_module("a.b")`` /
``__import__("a.b")``, plug-in strings (``"bridge.plugins.console:from_bridge"``), and, in a module
that imports by a computed name, every string constant that names one of our modules.
``azure.functions`` belongs to the Functions host only.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "dataverse_schema",
    "domain",
    "connectors",
    "services",
    "functions",
    "bridge",
    "emulator",
    "solution",
    "cli",
)
_SERVICES_AND_BELOW = {"services", "connectors", "domain", "dataverse_schema"}

#: What each unit may import besides itself (DESIGN.md, "Layers and folders").
ALLOWED: dict[str, set[str]] = {
    "dataverse_schema": set(),
    "domain": {"dataverse_schema"},
    "connectors": {"domain", "dataverse_schema"},
    "services": {"connectors", "domain", "dataverse_schema"},
    "functions": _SERVICES_AND_BELOW,
    "bridge": _SERVICES_AND_BELOW,
    "emulator": {"dataverse_schema"},
    "solution": {"dataverse_schema"},
    "cli": set(PACKAGES),
    "bench": set(PACKAGES) - {"cli"},  # benchmarks measure the library, not the command line
    "function_app": {"functions"} | _SERVICES_AND_BELOW,
}
#: The units that may import the Azure Functions SDK.
AZURE_FUNCTIONS_UNITS = {"functions", "function_app"}

#: Modules that do I/O, read the clock or the environment: not for domain/.
IMPURE_MODULES = {
    "os",
    "sys",
    "io",
    "time",
    "socket",
    "ssl",
    "sqlite3",
    "asyncio",
    "subprocess",
    "threading",
    "logging",
    "urllib",
    "http",
    "requests",
    "msal",
    "azure",
    "zeep",
    "panoramisk",
    "serial",
    "paramiko",
    "shutil",
    "tempfile",
    "pathlib",
    "random",
    "secrets",
}
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}

_PLUGIN = re.compile(r"[A-Za-z_]\w*(?:\.\w+)*:[A-Za-z_]\w*")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.\w+)+")


@dataclass(frozen=True)
class Import:
    line: int
    target: str  # an absolute dotted module name; "" when a relative import climbs above its package
    how: str
    names: tuple[str, ...] = ()  # what ``from target import ...`` takes: names or submodules

    @property
    def root(self) -> str:
        return self.target.split(".")[0]


def unit_files(root: Path) -> dict[str, list[Path]]:
    """Each unit's Python files under ``root`` (a unit absent from the tree has none)."""
    units = {name: sorted((root / name).rglob("*.py")) for name in (*PACKAGES, "bench")}
    units["function_app"] = [root / "function_app.py"] if (root / "function_app.py").is_file() else []
    return units


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    """Every import in ``source``, the code of ``module`` (``is_package`` for an ``__init__``)."""
    tree = ast.parse(source)
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[Import] = []
    dynamic = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, alias.name, "import") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += _from_import(node, package)
        elif isinstance(node, ast.Call) and _is_import_call(node.func):
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append(Import(node.lineno, argument.value, "import_module"))
            else:
                dynamic = True
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _PLUGIN.fullmatch(node.value) and node.value.split(".")[0].split(":")[0] in ALLOWED:
                found.append(Import(node.lineno, node.value.partition(":")[0], "plug-in string"))
            elif dynamic and _DOTTED.fullmatch(node.value) and node.value.split(".")[0] in ALLOWED:
                found.append(Import(node.lineno, node.value, "module name for a dynamic import"))
    return found


def _from_import(node: ast.ImportFrom, package: list[str]) -> list[Import]:
    if node.level == 0:
        base, how = node.module or "", "from"
    elif node.level - 1 >= len(package) or not package:
        return [Import(node.lineno, "", "relative")]
    else:
        base = ".".join([*package[: len(package) - (node.level - 1)], *([node.module] if node.module else [])])
        how = "relative"
    if node.module:
        return [Import(node.lineno, base, how, tuple(alias.name for alias in node.names))]
    # ``from . import b`` imports the module (or name) ``b`` of the package.
    return [Import(node.lineno, f"{base}.{alias.name}", how) for alias in node.names]


def _is_import_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"import_module", "__import__"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def offences(root: Path, unit: str) -> list[str]:
    """The imports of ``unit`` under ``root`` that break the layering, in words."""
    found = []
    for path in unit_files(root)[unit]:
        where = path.relative_to(root)
        for imp in imports_of(
            path.read_text(encoding="utf-8"), module_name(root, path), is_package=path.name == "__init__.py"
        ):
            if not imp.target:
                found.append(f"{where}:{imp.line} relative import climbs above its top-level package")
            elif imp.root in ALLOWED and imp.root != unit and imp.root not in ALLOWED[unit]:
                found.append(f"{where}:{imp.line} imports {imp.target} ({imp.how})")
            elif _is_azure_functions(imp) and unit not in AZURE_FUNCTIONS_UNITS:
                found.append(f"{where}:{imp.line} imports azure.functions outside functions/ and function_app.py")
    return sorted(set(found))


def _is_azure_functions(imp: Import) -> bool:
    targets = {imp.target, *(f"{imp.target}.{name}" for name in imp.names)}
    return any(t == "azure.functions" or t.startswith("azure.functions.") for t in targets)


def test_every_unit_has_a_rule_and_every_package_is_a_unit() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"}
    assert packages <= set(PACKAGES)
    assert set(unit_files(ROOT)) == set(ALLOWED)


@pytest.mark.parametrize("unit", sorted(ALLOWED))
def test_imports_point_down_only(unit: str) -> None:
    assert offences(ROOT, unit) == []


def test_domain_does_no_io_and_reads_no_clock() -> None:
    found = []
    for path in unit_files(ROOT)["domain"]:
        source = path.read_text(encoding="utf-8")
        roots = {imp.root for imp in imports_of(source, module_name(ROOT, path))}
        if roots & IMPURE_MODULES:
            found.append(f"{path.relative_to(ROOT)} imports {sorted(roots & IMPURE_MODULES)}")
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (node.value.id, node.attr) in CLOCK_CALLS
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} reads the clock ({node.value.id}.{node.attr})")
    assert found == []


# -- the checker itself, on synthetic trees ------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(tmp_path).parents:
            if str(parent) != "." and not (tmp_path / parent / "__init__.py").exists():
                (tmp_path / parent / "__init__.py").write_text("")
        path.write_text(source)
    return tmp_path


def test_the_checker_catches_a_plain_import(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"domain/rules.py": "import connectors.errors\n"})
    assert offences(root, "domain") == ["domain/rules.py:1 imports connectors.errors (import)"]


def test_the_checker_catches_a_from_import(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"functions/app.py": "from bridge.outbox import Outbox\n"})
    assert offences(root, "functions") == ["functions/app.py:1 imports bridge.outbox (from)"]


def test_the_checker_resolves_relative_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "domain/calls/state.py": "from ..numbers import plan\nfrom . import events\n",
            "domain/calls/__init__.py": "from .state import x\n",
        },
    )
    assert {
        i.target for i in imports_of("from ..numbers import plan\nfrom . import events\n", "domain.calls.state")
    } == {"domain.numbers", "domain.calls.events"}
    assert [i.target for i in imports_of("from .state import x\n", "domain.calls", is_package=True)] == [
        "domain.calls.state"
    ]
    assert offences(root, "domain") == []


def test_the_checker_catches_a_relative_import_above_the_package(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"bridge/plugins/x.py": "from ... import functions\n"})
    assert offences(root, "bridge") == ["bridge/plugins/x.py:1 relative import climbs above its top-level package"]


def test_the_checker_catches_import_module_with_a_literal(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"bridge/loader.py": "import importlib\nimportlib.import_module('cli.main')\n__import__('emulator.server')\n"},
    )
    assert offences(root, "bridge") == [
        "bridge/loader.py:2 imports cli.main (import_module)",
        "bridge/loader.py:3 imports emulator.server (import_module)",
    ]


def test_the_checker_catches_module_names_for_a_computed_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "solution/load.py": "from importlib import import_module\nNAMES = ('bridge.x', 'a.b')\n"
            "for name in NAMES:\n    import_module(name)\n"
        },
    )
    assert offences(root, "solution") == ["solution/load.py:2 imports bridge.x (module name for a dynamic import)"]


def test_the_checker_catches_a_plug_in_string(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"functions/wiring.py": 'LISTENERS = ["bridge.plugins.console:from_bridge"]\n'})
    assert offences(root, "functions") == ["functions/wiring.py:1 imports bridge.plugins.console (plug-in string)"]


def test_the_checker_keeps_azure_functions_in_the_functions_host(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "cli/demo.py": "import azure.functions as func\nfrom azure import functions\n",
            "functions/app.py": "import azure.functions as func\n",
            "function_app.py": "import azure.functions as func\nfrom functions.app import bp\n",
        },
    )
    assert offences(root, "cli") == [
        "cli/demo.py:1 imports azure.functions outside functions/ and function_app.py",
        "cli/demo.py:2 imports azure.functions outside functions/ and function_app.py",
    ]
    assert offences(root, "functions") == [] and offences(root, "function_app") == []


def test_the_checker_knows_the_services_layer(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "services/sms.py": "from connectors.sms import base\nfrom functions import app\n",
            "bridge/host.py": "from services.sms import send\n",
        },
    )
    assert offences(root, "services") == ["services/sms.py:2 imports functions (from)"]
    assert offences(root, "bridge") == []
