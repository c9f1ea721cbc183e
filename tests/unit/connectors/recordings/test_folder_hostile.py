"""Hostile paths for the folder store (CALL-28): every path is read, missing, or refused with a connector error.

Links planted in the share may loop; names may hold NUL, surrogates, backslashes, ``..`` or be longer than the
file system takes. None of them may escape the root or raise anything but the connector tree.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import ConnectorError
from connectors.recordings import FolderRecordingStore, UnsafePathError
from connectors.recordings.raw_names import name_to_wire

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "rec"
    (root / "2025").mkdir(parents=True)
    (root / "2025" / "a.wav").write_bytes(b"RIFF")
    (root / "loop-a").symlink_to(root / "loop-b")
    (root / "loop-b").symlink_to(root / "loop-a")
    return root


@pytest.mark.parametrize("relative", ["loop-a", "loop-a/x.wav", "loop-b/2025"])
def test_a_symlink_loop_in_the_share_is_refused(share: Path, relative: str) -> None:
    store = FolderRecordingStore(share, system="box")
    with pytest.raises(UnsafePathError):
        store.list_folder(str(share / relative))
    with pytest.raises(UnsafePathError):
        store.read_bytes(str(share / relative), limit_bytes=100)


@FAST
@given(
    name=st.one_of(
        st.text(max_size=30),
        st.sampled_from(["..", "../..", "..\\..\\etc", "2025/../../x", "\x00", "x" * 5000, "\udcff", "/etc/passwd"]),
    )
)
def test_any_name_below_the_share_is_read_or_refused(tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    root = tmp_path_factory.getbasetemp() / "hostile-share"
    (root / "2025").mkdir(parents=True, exist_ok=True)
    store = FolderRecordingStore(root, system="box")
    for path in (name, f"{root.as_posix()}/{name}", f"{root.as_posix()}/2025/{name}"):
        try:
            files = store.list_folder(path)
        except ConnectorError:
            files = []
        assert all(Path(f.path).resolve().is_relative_to(root.resolve()) for f in files)
        with contextlib.suppress(ConnectorError):
            store.read_bytes(path, limit_bytes=100)


LATIN1 = "café-1743067500.1.wav".encode("latin-1")
CP1256 = "20250327-092500-09121234567-تماس.wav".encode("cp1256")


def test_names_that_are_not_utf8_are_listed_and_read_by_their_bytes(
    share: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for raw in (LATIN1, CP1256):
        Path(os.fsdecode(os.fsencode(share / "2025") + b"/" + raw)).write_bytes(b"RIFF" + raw[:2])
    store = FolderRecordingStore(share, system="box")
    with caplog.at_level(logging.WARNING, logger="connectors.recordings.raw_names"):
        files = {name_to_wire(f.name): f for f in store.list_folder(str(share / "2025"))}
        store.list_folder(str(share / "2025"))  # the next call's look: no second warning
    assert set(files) == {b"a.wav", LATIN1, CP1256}
    for raw in (LATIN1, CP1256):
        assert store.read_bytes(files[raw].path, limit_bytes=100) == b"RIFF" + raw[:2]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(w.isascii() for w in warnings)


def test_an_error_about_a_name_that_is_not_utf8_carries_no_surrogate(share: Path) -> None:
    store = FolderRecordingStore(share, system="box")
    with pytest.raises(ConnectorError) as caught:
        store.read_bytes(os.fsdecode(os.fsencode(share / "2025") + b"/" + LATIN1), limit_bytes=100)
    caught.value.message.encode("utf-8")  # strict: what logs and Dataverse receive
    assert "caf\ufffd-1743067500.1.wav" in caught.value.message
