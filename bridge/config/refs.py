"""Helpers of the bridge's config loader: secret references and readable problem lines.

A secret in ``bridge.toml`` is given in exactly one of three ways: inline
(``password = "..."``, discouraged), from an environment variable
(``password_env = "HQ_AMI_SECRET"``) or from a file (``password_file =
"/etc/commsuite/hq-ami.secret"``, first line, trailing newline dropped). The
value is wrapped in :class:`~connectors.settings.Secret` at once and never
appears in a problem line, a log line or a repr.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectors.settings import Secret

MAX_SECRET_FILE_BYTES = 64 * 1024
_UNRESOLVED = Secret("unresolved")


def take_secret(
    table: MutableMapping[str, Any], name: str, where: str, environ: Mapping[str, str], problems: list[str]
) -> None:
    """Replace ``name`` / ``name_env`` / ``name_file`` in ``table`` by one ``Secret`` under ``name``.

    Problems (two ways given, variable unset, file unreadable) are appended to
    ``problems`` with the key path ``where.name``; the value never is.
    """
    given = [key for key in (name, f"{name}_env", f"{name}_file") if key in table]
    if not given:
        return
    if len(given) > 1:
        problems.append(f"{where}: give only one of {', '.join(given)}")
        for key in given:
            table.pop(key, None)
        return
    key = given[0]
    raw = table.pop(key)
    # An unresolved secret still counts as given, so the checks that need it do not complain twice.
    table[name] = _UNRESOLVED
    if not isinstance(raw, str) or not raw:
        problems.append(f"{where}.{key}: must be a non-empty string")
        return
    if key == name:
        table[name] = Secret(raw)
    elif key.endswith("_env"):
        value = environ.get(raw, "")
        if not value:
            problems.append(f"{where}.{key}: the environment variable {raw} is not set or is empty")
            return
        table[name] = Secret(value)
    else:
        value = _read_secret_file(Path(raw), f"{where}.{key}", problems)
        if value is not None:
            table[name] = Secret(value)


def _read_secret_file(path: Path, where: str, problems: list[str]) -> str | None:
    if "\x00" in str(path):  # os.stat raises ValueError (not OSError) for it
        problems.append(f"{where}: a file name cannot hold a NUL character")
        return None
    try:
        if path.stat().st_size > MAX_SECRET_FILE_BYTES:
            problems.append(f"{where}: {path} is larger than {MAX_SECRET_FILE_BYTES} bytes; it cannot be a secret")
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(
            f"{where}: cannot read {path} ({type(exc).__name__}: {getattr(exc, 'strerror', '') or exc})"
            if not isinstance(exc, UnicodeDecodeError)
            else f"{where}: {path} is not UTF-8 text"
        )
        return None
    lines = text.splitlines()
    value = lines[0].strip() if lines else ""
    if not value:
        problems.append(f"{where}: {path} is empty")
        return None
    return value


def describe_validation(
    exc: ValidationError, where: str, *, rename: Mapping[str, str] | None = None, allowed: Sequence[str] = ()
) -> list[str]:
    """One problem line per pydantic error, ``where.<field path>: <message>``, never echoing the input.

    ``rename`` maps a field of the validated model to the key the admin wrote
    (``secret`` → ``password``); ``allowed`` lists the keys an unknown key is
    checked against.
    """
    lines = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        if location and rename and location[0] in rename:
            location[0] = rename[location[0]]
        path = ".".join([where, *location]) if location else where
        if error.get("type") == "extra_forbidden":
            hint = f" (allowed here: {', '.join(sorted(allowed))})" if allowed else ""
            lines.append(f"{path}: unknown key; check the spelling{hint}")
            continue
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        lines.append(f"{path}: {message}")
    return lines


def type_name(value: object) -> str:
    """The TOML word for a Python value's type, for 'expected a table, got an array' lines."""
    return {dict: "table", list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )
