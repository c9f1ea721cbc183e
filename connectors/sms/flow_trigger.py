"""Starting a flow from a keyword rule: one JSON POST to the flow's HTTP trigger (SMS-16).

A rule's *Flow Address* is the URL of a Power Automate "When an HTTP request
is received" trigger in the cloud, or any HTTPS endpoint on a site without
Power Automate (the bridge's daemon calls it the same way). The address is a
secret: Power Automate signs it with a ``sig`` query parameter that lets
anyone holding the URL start the flow, so the query never reaches a log line,
an error or a traceback (only the host is named).

Outcomes: 2xx started (Power Automate answers 202); 429 and 5xx are
``RateLimitedError`` / ``UnavailableError`` and transport faults go through
the shared map (try again later); 401 / 403 are ``AuthError`` (the signature
no longer matches: the flow was re-saved or its address rotated); any other
4xx is ``RejectedError`` carrying the status and the flow's own message. An
address that is not ``https://`` is ``InvalidRequestError`` and nothing is sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from connectors.errors import AuthError, InvalidRequestError, RejectedError
from connectors.sms._wire import Wire

log = logging.getLogger(__name__)

SYSTEM = "flow"
OPERATION = "start_flow"
_MESSAGE_CHARS = 300


def flow_host(url: str) -> str:
    """The part of a flow address that may be shown: its host (never the path's query or signature)."""
    return urlsplit(url).hostname or "(no host)"


class FlowTrigger:
    """Posts a text's details to a flow's HTTP trigger on a shared ``requests.Session``."""

    def __init__(self, session: requests.Session, *, timeout: tuple[float, float] = (5.0, 30.0)):
        self._session, self._timeout = session, timeout

    def start(self, url: str, payload: Mapping[str, Any], *, key: str) -> None:
        """POST ``payload`` as JSON to ``url``; returns when the flow accepted it, else raises (module docstring)."""
        parts = urlsplit(url.strip())
        context = {"system": SYSTEM, "operation": OPERATION, "key": key}
        if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
            raise InvalidRequestError("the flow address is not an https:// address with a host", **context)
        secrets = tuple(value for _, value in parse_qsl(parts.query) if value) + ((parts.query,) if parts.query else ())
        wire = Wire(self._session, SYSTEM, self._timeout, secrets=secrets)
        response = wire.request(
            "POST",
            url.strip(),
            operation=OPERATION,
            key=key,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
            allow_redirects=False,
        )
        status = response.status_code
        if 200 <= status < 300:
            log.info("flow started at %s (HTTP %d)", parts.hostname, status, extra=context)
            return
        words = wire.scrub(_flow_message(response))
        detail = f"HTTP {status}" + (f": {words}" if words else "")
        if status in (401, 403):
            raise AuthError(f"the flow at {parts.hostname} refused the call ({detail})", **context)
        raise RejectedError(
            f"the flow at {parts.hostname} refused the text ({detail})", code=str(status), reason=detail, **context
        )


def _flow_message(response: requests.Response) -> str:
    """The flow's own words: Power Automate's ``error.message``, else the start of a text body."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        text = response.content[:_MESSAGE_CHARS].decode("utf-8", errors="replace").strip()
        return text if text and not text.startswith("<") else ""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message)[:_MESSAGE_CHARS] if message else ""


__all__ = ["FlowTrigger", "flow_host"]
