"""CALL-44: the manifest's artefacts are signed, named plainly and fetched over https (file: for a file feed);
the canonical bytes; version order with pre-releases; what may be installed; the maintenance window."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

import pytest

from bridge.runtime.updates import read_release
from bridge.runtime.updates_manifest import (
    Release,
    UntrustedFeedError,
    canonical_manifest,
    is_pre_release,
    release_key,
    verify_feed,
    version_key,
)
from bridge.runtime.updates_policy import OUTBOX_SCHEMA, install_refusal, parse_window

from .updates_feed import PUBLIC, artefact_entry, settings_for, write_feed


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    path = tmp_path / "commsuite-1.4.0-py3-none-any.whl"
    path.write_bytes(b"PK wheel bytes")
    return path


def test_the_artefacts_are_read_with_urls_relative_to_a_file_feed(tmp_path: Path, wheel: Path) -> None:
    release = read_release(settings_for(write_feed(tmp_path, "1.4.0", [wheel])))
    (artefact,) = release.artefacts
    assert (artefact.name, artefact.url, artefact.size) == (wheel.name, wheel.as_uri(), wheel.stat().st_size)


def test_the_signed_bytes_are_canonical_json() -> None:
    assert canonical_manifest({"version": "1.4.0", "artefacts": [{"size": 1, "name": "é"}]}) == (
        '{"artefacts":[{"name":"é","size":1}],"version":"1.4.0"}'.encode()
    )


def test_a_changed_artefact_breaks_the_signature(tmp_path: Path, wheel: Path) -> None:
    url = write_feed(tmp_path, "1.4.0", [wheel])
    outer = json.loads((tmp_path / "feed.json").read_bytes())
    manifest = base64.b64decode(outer["manifest"]).replace(b'"size":14', b'"size":15')
    outer["manifest"] = base64.b64encode(manifest).decode()
    (tmp_path / "feed.json").write_text(json.dumps(outer))
    with pytest.raises(UntrustedFeedError, match="signature does not verify"):
        read_release(settings_for(url))


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"name": "../commsuite-1.4.0-py3-none-any.whl"}, "not a wheel file name"),
        ({"name": "setup.py"}, "not a wheel file name"),
        ({"url": "http://mirror.example/commsuite-1.4.0-py3-none-any.whl"}, "must be https"),
        ({"sha256": "AB" * 32}, "64 lower-case hex"),
        ({"size": 0}, "positive number of bytes"),
        ({"size": "14"}, "positive number of bytes"),
    ],
)
def test_an_odd_artefact_makes_the_manifest_untrusted(tmp_path: Path, wheel: Path, override: dict, words: str) -> None:
    url = write_feed(tmp_path, "1.4.0", [], artefacts=[artefact_entry(wheel, **override)])
    with pytest.raises(UntrustedFeedError, match=words):
        read_release(settings_for(url))


def test_file_artefacts_need_a_file_feed(tmp_path: Path, wheel: Path) -> None:
    write_feed(tmp_path, "1.4.0", [], artefacts=[artefact_entry(wheel, url=wheel.as_uri())])
    document = (tmp_path / "feed.json").read_bytes()
    with pytest.raises(UntrustedFeedError, match="must be https"):
        verify_feed(document, release_key(PUBLIC), base_url="https://releases.example/feed.json")
    assert verify_feed(document, release_key(PUBLIC), base_url=(tmp_path / "feed.json").as_uri()).artefacts


def test_a_pre_release_is_read_only_when_wanted(tmp_path: Path, wheel: Path) -> None:
    url = write_feed(tmp_path, "1.5.0rc1", [wheel])
    with pytest.raises(UntrustedFeedError):
        read_release(settings_for(url))
    assert read_release(settings_for(url, pre_releases=True)).version == "1.5.0rc1"


@pytest.mark.parametrize(("older", "newer"), [("1.4.0a1", "1.4.0b1"), ("1.4.0rc2", "1.4.0"), ("1.4", "1.4.1rc1")])
def test_pre_releases_sort_before_their_release(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)
    assert is_pre_release(older) or is_pre_release(newer)


def release(version: str, *, wheel: bool = True, schemas: tuple[int, ...] = ()) -> Release:
    from bridge.runtime.updates_manifest import Artefact

    files = (Artefact(f"commsuite-{version}-py3-none-any.whl", "https://r.example/w", "ab" * 32, 9),) if wheel else ()
    return Release(version, "https://r.example/w", "ab" * 32, "", files, schemas)


@pytest.mark.parametrize(
    ("offered", "words"),
    [
        (release("1.3.0"), "never a downgrade"),
        (release("1.4.0"), "never a downgrade"),
        (release("1.5.0rc1"), "pre-release"),
        (release("1.5.0", schemas=(OUTBOX_SCHEMA + 1,)), "cannot read this bridge's outbox"),
        (release("1.5.0", wheel=False), "no wheel"),
    ],
)
def test_what_must_not_be_installed_is_refused_with_a_reason(offered: Release, words: str) -> None:
    assert words in install_refusal(offered, "1.4.0", pre_releases=False)


def test_a_newer_release_that_reads_the_outbox_may_be_installed() -> None:
    assert install_refusal(release("1.5.0", schemas=(OUTBOX_SCHEMA,)), "1.4.0", pre_releases=False) == ""
    assert install_refusal(release("1.5.0rc1"), "1.4.0", pre_releases=True) == ""


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [("02:00-04:00", ["02:00", "03:59"], ["01:59", "04:00", "14:00"]), ("23:30-01:00", ["23:30", "00:59"], ["01:00"])],
)
def test_the_window_is_local_time_and_may_cross_midnight(window: str, inside: list[str], outside: list[str]) -> None:
    parsed = parse_window(window)
    at = [datetime.fromisoformat(f"2026-12-06T{hh_mm}:30+03:30") for hh_mm in (*inside, *outside)]
    assert [moment in parsed for moment in at] == [True] * len(inside) + [False] * len(outside)


@pytest.mark.parametrize("odd", ["2-4", "02:00-02:00", "24:00-01:00", "02:00"])
def test_an_odd_window_is_refused(odd: str) -> None:
    with pytest.raises(ValueError, match="window"):
        parse_window(odd)
