"""``commsuite release``: make and sign a release feed for bridges to update from (CALL-44).

    commsuite release keygen --out release.key          # prints the public key sites put in [updates] public_key
    commsuite release feed --version 1.4.0 --wheelhouse dist/wheelhouse --key release.key \\
        --base-url https://releases.example.com/commsuite/1.4.0/ --notes "SMS delivery reports"

``feed`` lists every wheel (and ``constraints.txt``) in the wheelhouse with its SHA-256 and size, URLs relative
to the feed, and writes ``<wheelhouse>/feed.json`` signed over the canonical manifest (``docs/bridge.md``,
Updates). Publish the folder as it is, at ``--base-url`` or copied onto an offline host.

Exit codes: 0 written; 2 a missing key, version or wheel.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("release", help="make and sign the release feed bridges update from")
    commands = parser.add_subparsers(dest="release_command", metavar="ACTION", required=True)
    keygen = commands.add_parser("keygen", help="write a new Ed25519 release key (PEM) and print its public half")
    keygen.add_argument("--out", type=Path, required=True)
    keygen.set_defaults(func=make_key)
    feed = commands.add_parser("feed", help="write <wheelhouse>/feed.json, signed, listing the wheelhouse")
    feed.add_argument("--version", required=True, help="the release, e.g. 1.4.0")
    feed.add_argument("--wheelhouse", type=Path, required=True, help="every wheel the release needs")
    feed.add_argument("--key", type=Path, required=True, help="the release key (PEM, from keygen)")
    feed.add_argument("--base-url", required=True, help="the https folder the wheelhouse is published at")
    feed.add_argument("--notes", default="")
    feed.add_argument("--outbox-schemas", default="", help="the outbox schemas the release reads, e.g. 1,2")
    feed.set_defaults(func=make_feed)


def make_key(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    if args.out.exists():
        print(f"{args.out} exists; not overwritten")
        return 2
    key = Ed25519PrivateKey.generate()
    args.out.touch(mode=0o600)
    args.out.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    print(f'public_key = "{public_half(key)}"')
    return 0


def public_half(key: Ed25519PrivateKey) -> str:
    """The raw public key in base64, as ``[updates] public_key`` wants it."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def make_feed(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from bridge.runtime.updates_manifest import sign_feed, version_key

    try:
        version_key(args.version)
        schemas = [int(schema) for schema in args.outbox_schemas.split(",")] if args.outbox_schemas else []
        key = load_pem_private_key(args.key.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        print(f"not written: {exc}")
        return 2
    if not isinstance(key, Ed25519PrivateKey) or not args.base_url.startswith("https://"):
        print("not written: the key must be Ed25519 and --base-url https")
        return 2
    files = sorted(p for p in args.wheelhouse.iterdir() if p.suffix == ".whl" or p.name == "constraints.txt")
    own = f"commsuite-{args.version}-"
    wheels = [p for p in files if p.name.startswith(own)]
    if len(wheels) != 1:
        print(f"not written: the wheelhouse holds {len(wheels)} wheel(s) named {own}*.whl; it must hold one")
        return 2
    entries = [_entry(path) for path in files]
    base = args.base_url if args.base_url.endswith("/") else args.base_url + "/"
    manifest = {
        "version": args.version,
        "url": base + wheels[0].name,
        "sha256": _entry(wheels[0])["sha256"],
        "notes": args.notes,
        "artefacts": entries,
    }
    if schemas:
        manifest["outbox_schemas"] = schemas
    (args.wheelhouse / "feed.json").write_bytes(sign_feed(manifest, key))
    print(f"{args.wheelhouse / 'feed.json'}: {args.version}, {len(entries)} artefact(s), key {public_half(key)}")
    return 0


def _entry(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    return {"name": path.name, "url": path.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
