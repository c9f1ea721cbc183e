"""CALL-44: the signed release feed (verified before it is read), the checker's status on /healthz and in the
console, the [updates] table, the plug-in, and the console page's own reload-on-upgrade script (node tests)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bridge.config.loader import parse_config
from bridge.config.model import ConfigError
from bridge.plugins import updates as updates_plugin
from bridge.runtime.health import HealthSnapshot, metrics_of
from bridge.runtime.updates import UpdateChecker, UpdateSettings
from bridge.runtime.updates_manifest import UntrustedFeedError, release_key, release_number, verify_feed
from bridge.runtime.version import bridge_version

from .test_config import ENV, MINIMAL

SIGNER = Ed25519PrivateKey.generate()
PUBLIC = base64.b64encode(SIGNER.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
SHA = "ab" * 32
CONSOLE = Path(__file__).resolve().parents[3] / "bridge" / "console"


def feed(manifest: dict | bytes, signer: Ed25519PrivateKey = SIGNER, *, tamper: bool = False) -> bytes:
    body = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    signature = signer.sign(body)
    if tamper:
        body = body.replace(b"1.4.0", b"9.9.9")
    return json.dumps(
        {"manifest": base64.b64encode(body).decode(), "signature": base64.b64encode(signature).decode()}
    ).encode()


RELEASE = {"version": "1.4.0", "url": "https://releases.example/commsuite-1.4.0.whl", "sha256": SHA, "notes": "SMS"}


def test_a_signed_manifest_is_read() -> None:
    release = verify_feed(feed(RELEASE), release_key(PUBLIC))
    assert (release.version, release.url, release.sha256, release.notes) == ("1.4.0", RELEASE["url"], SHA, "SMS")


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (feed(RELEASE, Ed25519PrivateKey.generate()), "does not verify"),
        (feed(RELEASE, tamper=True), "does not verify"),
        (b"not json", "not {manifest, signature}"),
        (json.dumps({"manifest": "!!", "signature": "AA=="}).encode(), "not {manifest, signature}"),
        (feed({**RELEASE, "url": "http://plain.example/x.whl"}), "must be https"),
        (feed({**RELEASE, "version": "latest"}), "no valid version"),
        (feed({"version": "1.4.0"}), "no valid version"),
    ],
)
def test_an_unsigned_tampered_or_odd_feed_is_refused(document: bytes, words: str) -> None:
    with pytest.raises(UntrustedFeedError, match=words):
        verify_feed(document, release_key(PUBLIC))


def settings() -> UpdateSettings:
    return UpdateSettings(feed_url="https://releases.example/feed.json", public_key=PUBLIC)


NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("older", "newer"), [("1.3.2", "1.4.0"), ("1.4", "1.4.1"), ("0.1.0+dev", "0.2"), ("1.9.0", "1.10.0")]
)
def test_release_numbers_compare_as_numbers(older: str, newer: str) -> None:
    assert release_number(older) < release_number(newer)
    assert release_number("1.4.0") == release_number("1.4")


@pytest.mark.parametrize("odd", ["latest", "1.4.0rc1", "", "1..2", "v1.4"])
def test_only_final_release_numbers_are_accepted(odd: str) -> None:
    with pytest.raises(ValueError, match="release number"):
        release_number(odd)


def test_the_checker_announces_a_newer_release_only() -> None:
    checker = UpdateChecker(settings(), "1.3.2", fetch=lambda url: feed(RELEASE), clock=lambda: NOW)
    assert checker.status()["available"] is False and checker.status()["checked_at"] is None
    checker.check()
    assert checker.status() == {
        "current": "1.3.2",
        "latest": "1.4.0",
        "available": True,
        "url": RELEASE["url"],
        "notes": "SMS",
        "checked_at": NOW.isoformat(),
        "problem": "",
    }
    same = UpdateChecker(settings(), "1.4.0", fetch=lambda url: feed(RELEASE), clock=lambda: NOW)
    same.check()
    assert same.status()["available"] is False and same.status()["url"] is None


def test_an_unreachable_or_forged_feed_is_a_problem_not_a_crash() -> None:
    def down(url: str) -> bytes:
        raise ConnectionRefusedError("nobody home")

    checker = UpdateChecker(settings(), "1.3.2", fetch=down, clock=lambda: NOW)
    checker.check()
    assert checker.status()["problem"] == "feed unreachable (ConnectionRefusedError)" and not checker.available
    forged = UpdateChecker(settings(), "1.3.2", fetch=lambda url: feed(RELEASE, tamper=True), clock=lambda: NOW)
    forged.check()
    assert "does not verify" in forged.status()["problem"] and forged.status()["latest"] is None


def test_the_updates_table_is_parsed_and_checked() -> None:
    config = parse_config(
        (MINIMAL + f'\n[updates]\nfeed_url = "https://r.example/feed.json"\npublic_key = "{PUBLIC}"\n').encode(),
        "bridge.toml",
        ENV,
    )
    assert config.updates == settings().model_copy(update={"feed_url": "https://r.example/feed.json"})
    assert parse_config(MINIMAL.encode(), "bridge.toml", ENV).updates is None
    with pytest.raises(ConfigError) as caught:
        parse_config(
            (MINIMAL + '\n[updates]\nfeed_url = "http://r.example/f"\npublic_key = "AAAA"\n').encode(),
            "bridge.toml",
            ENV,
        )
    problems = " ".join(caught.value.problems)
    assert "updates.feed_url" in problems and "updates.public_key" in problems


def test_the_plug_in_runs_the_checker_and_health_shows_it() -> None:
    tasks: list[tuple[str, object]] = []
    bridge = SimpleNamespace(config=SimpleNamespace(updates=settings()), add_task=lambda n, f: tasks.append((n, f)))
    assert updates_plugin.from_bridge(bridge) is None
    assert tasks == [("updates", bridge.updates.run)]
    off = SimpleNamespace(config=SimpleNamespace(updates=None))
    assert updates_plugin.from_bridge(off) is None and not hasattr(off, "updates")
    body = json.loads(HealthSnapshot(1.0, (), (), update=bridge.updates.status()).as_json())
    assert body["version"] == bridge_version() and body["update"]["current"] == bridge_version()
    assert json.loads(HealthSnapshot(1.0, (), ()).as_json())["update"] is None
    metrics = metrics_of(HealthSnapshot(1.0, (), (), update={"available": True}))
    assert f'commsuite_bridge_info{{version="{bridge_version()}"}} 1' in metrics
    assert "commsuite_bridge_update_available 1" in metrics
    assert "commsuite_bridge_update_available 0" in metrics_of(HealthSnapshot(1.0, (), ()))


def test_the_pages_reload_script_passes_its_node_tests() -> None:
    assert shutil.which("node"), "node (v18 or newer) runs the console script's tests"
    env = {**os.environ, "COMMS_JS": str(CONSOLE / "upgrade.js")}
    test_file = Path(__file__).parent / "console" / "js" / "upgrade.test.js"
    result = subprocess.run(["node", "--test", str(test_file)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
