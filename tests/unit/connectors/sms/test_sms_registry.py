"""The provider registry is complete, alphabetical and every kind is tested."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import requests

import connectors.sms as sms
from connectors.sms import PROVIDERS, build_provider
from connectors.sms.base import SmsProvider

PACKAGE = Path(sms.__file__).parent
TESTS = Path(__file__).parent
#: Modules that are not providers, besides every module starting with "_".
HELPERS = {"__init__", "base", "flow_trigger", "panel_description", "panel_validation"}


def _provider_modules() -> set[str]:
    return {p.stem for p in PACKAGE.glob("*.py") if p.stem not in HELPERS and not p.stem.startswith("_")}


def test_every_provider_module_is_registered():
    registered = {cls.__module__.rsplit(".", 1)[1] for cls in PROVIDERS.values()}
    assert _provider_modules() - registered == set()


def test_registry_is_written_in_alphabetical_order():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    (literal,) = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "PROVIDERS"
    ]
    keys = [k.value for k in literal.keys]
    assert keys == sorted(keys)


@pytest.mark.parametrize("kind", sorted(PROVIDERS))
def test_every_kind_has_a_test_module_with_a_canary(kind):
    module = PROVIDERS[kind].__module__.rsplit(".", 1)[1]
    test_file = TESTS / f"test_{module}.py"
    assert test_file.exists(), f"{kind} has no {test_file.name}"
    assert "def test_canary" in test_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind, cls", sorted(PROVIDERS.items()))
def test_registered_classes_keep_the_interface(kind, cls):
    assert cls.kind == kind
    assert cls.max_batch >= 1
    assert isinstance(cls.accepts_our_id, bool)
    for name in ("send", "send_many", "fetch_reports", "find_by_our_id", "fetch_inbound", "balance", "parse_webhook"):
        assert callable(getattr(cls, name)), f"{kind} lacks {name}"


def test_build_provider_validates_settings():
    provider = build_provider("kavenegar", {"api_key": "k"}, session=requests.Session())
    assert isinstance(provider, SmsProvider)
    with pytest.raises(ValueError):
        build_provider("kavenegar", {"api_key": "k", "unknown": 1}, session=requests.Session())
    with pytest.raises(KeyError):
        build_provider("no-such-provider", {}, session=requests.Session())
