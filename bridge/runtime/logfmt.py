"""One log line per event with its context: ``time level logger: message key=value ...``.

The context comes from ``extra=`` (``system``, ``environment``, ``operation``,
``key``, ``listener``); values with spaces or quotes are quoted. Secrets are
masked by the redaction filter the CLI installs on the same handler.
"""

from __future__ import annotations

import logging

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class ContextFormatter(logging.Formatter):
    """``logging.Formatter`` that appends every ``extra=`` field as ``key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = [
            f"{key}={_value(value)}"
            for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")
        ]
        if not context:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} {' '.join(context)}{newline}{rest}"


def _value(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
