"""The signed release manifest (CALL-44): its bytes, its signature, its version numbers and its artefacts.

A release feed is ``{"manifest": "<base64 of the manifest bytes>", "signature": "<base64 Ed25519 signature>"}``.
The signature covers exactly the base64-decoded ``manifest`` bytes; a publisher makes them with
:func:`canonical_manifest` (UTF-8 JSON, keys sorted, no whitespace) and :func:`sign_feed`. Nothing in the manifest
is read before the signature verifies with the site's ``[updates] public_key``.

The manifest: ``version``, ``url`` and ``sha256`` (the bridge's own wheel, kept for bridges that only announce),
``notes``, and since installs exist ``artefacts`` (every file an install needs: ``name``, ``url``, ``sha256``,
``size``) and ``outbox_schemas`` (the outbox file schemas the release reads). ``docs/bridge.md``, Updates.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_RELEASE = re.compile(r"\d{1,6}(?:\.\d{1,6}){0,3}")
_VERSION = re.compile(r"(\d{1,6}(?:\.\d{1,6}){0,3})(?:(a|b|rc)(\d{1,6}))?")
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}
_FINAL = (3, 0)
#: Artefact names are plain file names: a wheel, or the constraints file; never a path.
_ARTEFACT_NAME = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\.whl|constraints\.txt)")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class UntrustedFeedError(ValueError):
    """The feed is malformed, its signature does not verify, or its manifest is not a release."""


def release_number(version: str) -> tuple[int, ...]:
    """``"1.4.0"`` → ``(1, 4)``, comparable; ``ValueError`` unless it is a final release (digits and dots).

    A local part (``0.1.0+dev``, a build from a checkout) is ignored: such a build is compared by its release.
    """
    release = version.split("+", 1)[0].strip()
    if not _RELEASE.fullmatch(release):
        raise ValueError(f"{version!r} is not a release number such as 1.4.0")
    parts = [int(part) for part in release.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def version_key(version: str) -> tuple[tuple[int, ...], tuple[int, int]]:
    """A sortable key for a final release or a pre-release (``1.4.0rc1`` < ``1.4.0``); ``ValueError`` otherwise."""
    match = _VERSION.fullmatch(version.split("+", 1)[0].strip())
    if match is None:
        raise ValueError(f"{version!r} is not a version number such as 1.4.0 or 1.4.0rc1")
    pre = (_PRE_ORDER[match[2]], int(match[3])) if match[2] else _FINAL
    return release_number(match[1]), pre


def is_pre_release(version: str) -> bool:
    """True for ``1.4.0a1``, ``1.4.0b2``, ``1.4.0rc1``."""
    return version_key(version)[1] != _FINAL


@dataclass(frozen=True)
class Artefact:
    """One file of a release: a plain file name, where to fetch it, its SHA-256 (hex) and its size in bytes."""

    name: str
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Release:
    """A verified manifest."""

    version: str
    url: str
    sha256: str
    notes: str = ""
    artefacts: tuple[Artefact, ...] = ()
    #: The outbox schemas the release reads; empty when the manifest does not say (every release so far reads 1).
    outbox_schemas: tuple[int, ...] = ()


def release_key(text: str) -> Ed25519PublicKey:
    """The Ed25519 public key from its base64 raw bytes; ``ValueError`` otherwise."""
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("public_key must be the release key's 32 raw Ed25519 bytes in base64") from exc


def canonical_manifest(fields: dict[str, Any]) -> bytes:
    """The manifest bytes a publisher signs: UTF-8 JSON, keys sorted at every level, no insignificant spaces."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_feed(fields: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    """The feed document for ``fields``: the canonical manifest and its Ed25519 signature, both in base64."""
    manifest = canonical_manifest(fields)
    document = {
        "manifest": base64.b64encode(manifest).decode("ascii"),
        "signature": base64.b64encode(key.sign(manifest)).decode("ascii"),
    }
    return json.dumps(document, sort_keys=True).encode("utf-8")


def verify_feed(document: bytes, key: Ed25519PublicKey, *, base_url: str = "", pre_releases: bool = False) -> Release:
    """The release the feed announces, once its signature verifies; :class:`UntrustedFeedError` otherwise.

    Artefact URLs may be relative to ``base_url`` (the feed's own URL); ``file:`` ones are accepted only when the
    feed itself was read from a file (an offline site), anything else must be https.
    """
    try:
        outer = json.loads(document)
        manifest = base64.b64decode(outer["manifest"], validate=True)
        signature = base64.b64decode(outer["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as exc:  # RecursionError: too deep
        raise UntrustedFeedError("the release feed is not {manifest, signature} in base64") from exc
    try:
        key.verify(signature, manifest)
    except InvalidSignature:
        raise UntrustedFeedError("the release feed's signature does not verify with the configured key") from None
    try:
        fields = json.loads(manifest)
        version = str(fields["version"])
        version_key(version) if pre_releases else release_number(version)
        release = Release(
            version,
            str(fields["url"]),
            str(fields["sha256"]),
            str(fields.get("notes", "")),
            _artefacts(fields.get("artefacts", []), base_url),
            tuple(int(schema) for schema in fields.get("outbox_schemas", [])),
        )
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:  # OverflowError: int(Infinity)
        raise UntrustedFeedError(f"the signed manifest has no valid version, url, sha256 and artefacts: {exc}") from exc
    if not release.url.startswith("https://") or len(release.sha256) != 64:
        raise UntrustedFeedError("the signed manifest's url must be https and its sha256 64 hex digits")
    return release


def _artefacts(raw: object, base_url: str) -> tuple[Artefact, ...]:
    if not isinstance(raw, list):
        raise TypeError("artefacts must be a list")
    artefacts = tuple(_artefact(entry, base_url) for entry in raw)
    names = [artefact.name for artefact in artefacts]
    if len(set(names)) != len(names):
        raise ValueError("two artefacts have the same name")
    return artefacts


def _artefact(entry: object, base_url: str) -> Artefact:
    if not isinstance(entry, dict):
        raise TypeError("an artefact must be {name, url, sha256, size}")
    name, sha256, size = str(entry["name"]), str(entry["sha256"]), entry["size"]
    url = urljoin(base_url, str(entry["url"])) if base_url else str(entry["url"])
    if not _ARTEFACT_NAME.fullmatch(name):
        raise ValueError(f"artefact name {name!r} is not a wheel file name or constraints.txt")
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"artefact {name}: sha256 must be 64 lower-case hex digits")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ValueError(f"artefact {name}: size must be a positive number of bytes")
    offline = base_url.startswith("file:")
    if not (url.startswith("https://") or (offline and url.startswith("file:"))):
        raise ValueError(f"artefact {name}: url must be https (or file: when the feed is a file)")
    return Artefact(name, url, sha256, size)
