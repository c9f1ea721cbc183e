"""Fetch a release's artefacts (CALL-44): https (or ``file:`` for an offline feed), size-capped, SHA-256-checked.

Every file is streamed into a folder of its own under its signed plain name; a file over its signed size or over
``[updates] max_artefact_bytes``, or whose SHA-256 differs from the signed one, is deleted and the whole download
fails with :class:`ArtefactError`. Nothing fetched here is used before every artefact has passed.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from bridge.runtime.updates_manifest import Artefact, Release

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 60.0
_CHUNK = 256 * 1024


class ArtefactError(RuntimeError):
    """An artefact could not be fetched, or is not the file the signed manifest describes."""


def open_url(url: str) -> BinaryIO:
    """The artefact's bytes as a stream; https and ``file:`` only (the manifest's check, repeated here)."""
    if not url.startswith(("https://", "file:")):
        raise ArtefactError(f"refusing to download from {url.split(':', 1)[0]}: (https or file: only)")
    return urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S)  # noqa: S310 (scheme checked above)


def download_artefacts(
    release: Release,
    folder: Path,
    *,
    max_bytes: int,
    opener: Callable[[str], BinaryIO] = open_url,
) -> dict[str, Path]:
    """Every artefact of ``release`` in ``folder`` (created), by name; :class:`ArtefactError` on the first bad one."""
    folder.mkdir(parents=True, exist_ok=True)
    fetched: dict[str, Path] = {}
    for artefact in release.artefacts:
        fetched[artefact.name] = _download(artefact, folder / artefact.name, max_bytes, opener)
    log.info("release %s: %d artefact(s) downloaded and verified", release.version, len(fetched))
    return fetched


def _download(artefact: Artefact, target: Path, max_bytes: int, opener: Callable[[str], BinaryIO]) -> Path:
    if artefact.size > max_bytes:
        raise ArtefactError(f"{artefact.name} is {artefact.size} bytes, over max_artefact_bytes ({max_bytes})")
    digest, written = hashlib.sha256(), 0
    try:
        with opener(artefact.url) as source, target.open("wb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > artefact.size:
                    raise ArtefactError(f"{artefact.name} is larger than its signed size ({artefact.size} bytes)")
                digest.update(chunk)
                sink.write(chunk)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise ArtefactError(f"{artefact.name} could not be downloaded ({type(exc).__name__}: {exc})") from exc
    except ArtefactError:
        target.unlink(missing_ok=True)
        raise
    if written != artefact.size or digest.hexdigest() != artefact.sha256:
        target.unlink(missing_ok=True)
        raise ArtefactError(f"{artefact.name} is not the signed file (size or sha256 differs)")
    return target
