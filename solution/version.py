"""The solution's version: four dotted integers, taken from the package version (X-01).

Dataverse compares solution versions part by part to decide whether an import is an
upgrade, so the version must only ever grow and every part must be a number.
"""

from __future__ import annotations

import re
from importlib import metadata

_MAX_PART = 2_147_483_647
#: A normalised PEP 440 version: the numeric release, then optional pre, post, dev and local parts.
_VERSION = re.compile(r"(\d+(?:\.\d+)*)(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?(?:\+[A-Za-z0-9.]+)?")


def solution_version(text: str) -> str:
    """``"0.1.0"`` → ``"0.1.0.0"``; the numeric release of a PEP 440 version, 1 to 4 parts.

    Pre-release and local parts (``rc1``, ``.dev3``, ``+abc``) are dropped: Dataverse
    versions are numbers only.
    """
    match = _VERSION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"version {text!r} is not a version such as 1.2.0 or 1.2.0.0")
    parts = [int(p) for p in match.group(1).split(".")]
    if not 1 <= len(parts) <= 4:
        raise ValueError(f"version {text!r} has {len(parts)} numeric parts; a solution version has at most 4")
    if any(p > _MAX_PART for p in parts):
        raise ValueError(f"version {text!r} has a part above {_MAX_PART}")
    return ".".join(str(p) for p in parts + [0] * (4 - len(parts)))


def package_version() -> str:
    """The installed ``commsuite`` distribution's version."""
    return metadata.version("commsuite")
