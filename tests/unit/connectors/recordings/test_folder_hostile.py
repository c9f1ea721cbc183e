"""Hostile paths for the folder store (CALL-28): every path is read, missing, or refused with a connector error.

Links planted in the share may loop; names may hold NUL, surrogates, backslashes, ``..`` or be longer than the
file system takes. None of them may escape the root or raise anything but the connector tree.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import ConnectorError
from connectors.recordings import FolderRecordingStore, UnsafePathError

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
