"""The recorder-box folder store: listing, reading, limits, and refusing to leave its root (CALL-28)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from connectors.errors import UnavailableError
from connectors.recordings import (
    FileMissingError,
    FileTooLargeError,
    FolderMissingError,
    FolderRecordingStore,
    UnsafePathError,
    check_recording_store,
)


@pytest.fixture
def share(tmp_path: Path) -> Path:
    day = tmp_path / "rec" / "2025" / "03" / "27"
    day.mkdir(parents=True)
    (day / "in-1-2-20250327-092517-1.2.wav").write_bytes(b"RIFF" + bytes(96))
    (day / "sub").mkdir()
    (tmp_path / "secret.txt").write_text("not yours")
    (day / "link.wav").symlink_to(tmp_path / "secret.txt")
    return tmp_path / "rec"


def test_lists_plain_files_only(share: Path) -> None:
    store = FolderRecordingStore(share, system="box")
    files = store.list_folder(str(share / "2025/03/27"))
    assert [(f.name, f.size_bytes) for f in files] == [("in-1-2-20250327-092517-1.2.wav", 100)]
    assert files[0].path == (share / "2025/03/27/in-1-2-20250327-092517-1.2.wav").as_posix()


def test_reads_and_streams(share: Path) -> None:
    store = FolderRecordingStore(share, system="box")
    path = str(share / "2025/03/27/in-1-2-20250327-092517-1.2.wav")
    assert store.read_bytes(path, limit_bytes=100).startswith(b"RIFF")
    sink = io.BytesIO()
    assert store.copy_to(path, sink, limit_bytes=1000) == 100 and len(sink.getvalue()) == 100
    with pytest.raises(FileTooLargeError) as caught:
        store.read_bytes(path, limit_bytes=99)
    assert caught.value.size_bytes == 100 and not caught.value.retry_safe


@pytest.mark.parametrize("relative", ["../secret.txt", "2025/03/27/../../../../secret.txt", "2025/03/27/link.wav"])
def test_never_reads_outside_the_root(share: Path, relative: str) -> None:
    store = FolderRecordingStore(share, system="box")
    with pytest.raises(UnsafePathError):
        store.read_bytes(str(share) + "/" + relative, limit_bytes=1000)


def test_refuses_folders_outside_the_root(share: Path) -> None:
    with pytest.raises(UnsafePathError):
        FolderRecordingStore(share, system="box").list_folder(str(share.parent))


def test_missing_folder_and_file(share: Path) -> None:
    store = FolderRecordingStore(share, system="box")
    with pytest.raises(FolderMissingError):
        store.list_folder(str(share / "2025/03/28"))
    with pytest.raises(FileMissingError):
        store.read_bytes(str(share / "2025/03/27/gone.wav"), limit_bytes=10)


def test_a_share_that_went_away_is_unavailable(share: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_path: object) -> None:
        raise OSError(107, "Transport endpoint is not connected")

    monkeypatch.setattr(os, "scandir", broken)
    with pytest.raises(UnavailableError) as caught:
        FolderRecordingStore(share, system="box").list_folder(str(share))
    assert caught.value.retry_safe and "ENOTCONN" in str(caught.value)


def test_check_proves_the_root_and_the_pattern(share: Path) -> None:
    store = FolderRecordingStore(share, system="box")
    assert "readable" in check_recording_store(store, str(share) + "/YYYY/MM/DD")
    with pytest.raises(UnsafePathError):
        check_recording_store(store, "/etc/YYYY")
    with pytest.raises(FolderMissingError):
        check_recording_store(FolderRecordingStore(share / "nope", system="box"))


def test_needs_a_system() -> None:
    with pytest.raises(ValueError):
        FolderRecordingStore("/tmp", system="")
