"""Shared zeep plumbing for SOAP provider connectors (SMS-13, -18).

WSDLs are vendored in ``wsdl/`` and parsed once, when a connector is built;
nothing is fetched over the network at import, build or test time. The
endpoint address always comes from settings. zeep faults and transport errors
are mapped onto our error tree here, on top of :meth:`Wire.translating`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import zeep
import zeep.exceptions
from lxml import etree

from connectors.errors import AuthError, RateLimitedError, RejectedError, UnavailableError
from connectors.sms._wire import Wire

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"


class _QuietTransport(zeep.Transport):
    """A zeep transport that never logs envelopes and keeps the HTTP status of non-SOAP error pages.

    zeep's own ``post`` writes every envelope (credentials and message text
    included) to the ``zeep.transports`` logger at DEBUG, and turns an HTML
    error page into an anonymous Fault.
    """

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        response = self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout)
        if response.status_code >= 400 and not _looks_like_xml(response.content):
            raise zeep.exceptions.TransportError(status_code=response.status_code, content=response.content)
        return response


_NOT_XML = "All strings must be XML compatible"


def _looks_like_xml(content: bytes) -> bool:
    return content.lstrip().startswith(b"<?xml") or b"Envelope" in content[:512]


def build_client(wsdl_name: str, session: requests.Session, timeout: tuple[float, float]) -> zeep.Client:
    """A zeep client over a vendored WSDL; every operation runs with the ``(connect, read)`` timeout."""
    transport = _QuietTransport(session=session, timeout=timeout[0], operation_timeout=timeout)
    return zeep.Client(str(WSDL_DIR / wsdl_name), transport=transport)


@contextmanager
def translating_soap(wire: Wire, operation: str, key: str | None = None) -> Iterator[None]:
    """Map transport failures, SOAP faults and unreadable envelopes raised in the block onto our errors."""
    context = {"system": wire.system, "operation": operation, "key": key}
    with wire.translating(operation, key):
        try:
            yield
        except zeep.exceptions.Fault as exc:
            code = str(exc.code or "")
            reason = wire.scrub(str(exc.message or "SOAP fault"))
            if code.endswith("Server"):
                wire.fail(UnavailableError(f"SOAP fault from the provider: {reason}", **context), exc)
            wire.fail(RejectedError(f"SOAP fault: {reason}", code=code or "fault", reason=reason, **context), exc)
        except zeep.exceptions.TransportError as exc:
            status = exc.status_code
            if status in (401, 403):
                wire.fail(AuthError(f"provider refused the credentials (HTTP {status})", **context), exc)
            if status == 429:
                wire.fail(RateLimitedError("provider asks us to slow down (HTTP 429)", **context), exc)
            if status >= 500:
                wire.fail(UnavailableError(f"provider unavailable (HTTP {status})", **context), exc)
            raise wire.bad_reply(f"HTTP {status} without a SOAP envelope", exc.content, operation, key) from None
        except (
            zeep.exceptions.XMLSyntaxError,
            zeep.exceptions.XMLParseError,
            zeep.exceptions.ValidationError,
            zeep.exceptions.DTDForbidden,
            zeep.exceptions.EntitiesForbidden,
            etree.XMLSyntaxError,
        ) as exc:
            raise wire.bad_reply(
                f"unreadable SOAP reply ({type(exc).__name__})", getattr(exc, "content", None), operation, key
            ) from exc
        except ValueError as exc:
            # lxml refuses, while building the request, a value XML 1.0 cannot carry (NUL, VT, BEL, U+FFFE):
            # the envelope was never sent, and resending the same text never will be.
            if not str(exc).startswith(_NOT_XML):
                raise
            reason = "the text or a setting holds a control character that a SOAP request cannot carry"
            raise RejectedError(reason, code="unencodable", reason=reason, **context) from exc
