"""CALL-44: `commsuite release keygen` and `release feed` make a feed that a bridge with the printed key trusts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.runtime.updates import UpdateSettings, read_release
from cli.main import main


def test_a_made_feed_lists_the_wheelhouse_and_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    house = tmp_path / "wheelhouse"
    house.mkdir()
    for name in ("commsuite-1.4.0-py3-none-any.whl", "requests-2.32.3-py3-none-any.whl", "constraints.txt"):
        (house / name).write_bytes(name.encode())
    (house / "notes.md").write_text("not an artefact")
    assert main(["release", "keygen", "--out", str(tmp_path / "release.key")]) == 0
    public = capsys.readouterr().out.split('"')[1]
    assert (tmp_path / "release.key").stat().st_mode & 0o077 == 0
    args = ["--version", "1.4.0", "--wheelhouse", str(house), "--key", str(tmp_path / "release.key")]
    assert main(["release", "feed", *args, "--base-url", "https://r.example/1.4.0", "--outbox-schemas", "1"]) == 0
    settings = UpdateSettings(feed_url=(house / "feed.json").as_uri(), public_key=public)
    release = read_release(settings)
    assert release.url == "https://r.example/1.4.0/commsuite-1.4.0-py3-none-any.whl" and release.outbox_schemas == (1,)
    assert [a.name for a in release.artefacts] == [
        "commsuite-1.4.0-py3-none-any.whl",
        "constraints.txt",
        "requests-2.32.3-py3-none-any.whl",
    ]
    assert all(a.url.startswith(house.as_uri()) for a in release.artefacts)


@pytest.mark.parametrize(
    ("version", "base_url", "words"),
    [
        ("1.5.0", "https://r.example/", "holds 0 wheel(s)"),
        ("1.4.0", "http://r.example/", "https"),
        ("v1", "https://r/", "not a version"),
    ],
)
def test_a_feed_is_not_made_from_odd_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str, base_url: str, words: str
) -> None:
    (tmp_path / "commsuite-1.4.0-py3-none-any.whl").write_bytes(b"w")
    assert main(["release", "keygen", "--out", str(tmp_path / "k")]) == 0
    args = ["--version", version, "--wheelhouse", str(tmp_path), "--key", str(tmp_path / "k"), "--base-url", base_url]
    assert main(["release", "feed", *args]) == 2
    assert words in capsys.readouterr().out and not (tmp_path / "feed.json").exists()
