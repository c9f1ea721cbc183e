"""A signed release feed and its artefacts in a folder, for the CALL-44 update tests."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bridge.runtime.updates import UpdateSettings
from bridge.runtime.updates_manifest import sign_feed

SIGNER = Ed25519PrivateKey.generate()
PUBLIC = base64.b64encode(SIGNER.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def artefact_entry(path: Path, *, url: str | None = None, **overrides: Any) -> dict[str, Any]:
    """The manifest entry of the file at ``path`` (its URL relative to the feed unless ``url`` is given)."""
    data = path.read_bytes()
    entry = {"name": path.name, "url": url or path.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return {**entry, **overrides}


def write_feed(folder: Path, version: str, files: list[Path], **fields: Any) -> str:
    """Write ``folder/feed.json`` signing ``version`` with ``files`` as its artefacts; the feed's ``file:`` URL."""
    entries = fields.pop("artefacts", None) or [artefact_entry(path) for path in files]
    manifest = {
        "version": version,
        "url": f"https://releases.example/commsuite-{version}-py3-none-any.whl",
        "sha256": "ab" * 32,
        "notes": "",
        "artefacts": entries,
        **fields,
    }
    (folder / "feed.json").write_bytes(sign_feed(manifest, SIGNER))
    return (folder / "feed.json").as_uri()


def settings_for(feed_url: str, **values: Any) -> UpdateSettings:
    return UpdateSettings(feed_url=feed_url, public_key=PUBLIC, **values)
