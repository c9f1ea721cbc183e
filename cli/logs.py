"""Logging set-up for every entry point: one line per event, no secrets."""

from __future__ import annotations

import logging
import re

#: Patterns whose matches are replaced before a log line is written.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(authorization:\s*bearer\s+)[^\s,;]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-_\.=]{8,}"),
    re.compile(
        r"(?i)((?:password|passwd|secret|token|apikey|api_key|client_secret)[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]+"
    ),
    re.compile(r"(?i)(/v1/)[A-Za-z0-9\-]{20,}(/)"),  # keys carried in a provider's URL path
)


def redact(text: str) -> str:
    """Mask anything that looks like a credential in ``text``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***" + (m.group(2) if m.lastindex and m.lastindex > 1 else ""), text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


NOISY_LIBRARIES = ("urllib3", "zeep.transports", "zeep.wsdl", "msal", "azure", "paramiko.transport", "asyncio")


def configure_logging(level: int = logging.INFO) -> None:
    """Configure the root logger once for a CLI or daemon process."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
