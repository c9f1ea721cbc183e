"""Kavenegar's SOAP service (``soap/v1.asmx``, namespace ``http://api.kavenegar.com/``) over a ProviderState.

Answers the four operations of the vendored WSDL (``connectors/sms/wsdl/kavenegar.wsdl``):
``SendArrayByApikey``, ``GetStatusByApikey``, ``ReceiveByApikey`` and
``RemainCreditByApiKey``, and ``SendSimpleByApikey``, the operation the official C# sample
calls (kavenegar/kavenegar-soap-csharp, its ``v1.wsdl``). Both SOAP 1.1 and SOAP 1.2
envelopes are read, as an ASMX service binds both (``v1Soap`` / ``v1Soap12``); the reply
uses the request's version. As the ASMX service does, the HTTP status is 200 and the
outcome is in the by-reference ``status`` / ``statusmessage`` elements; an envelope that
cannot be read gets a Client (1.2: Sender) fault, a failure of ours a Server (1.2:
Receiver) fault, with HTTP 500.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

from lxml import etree

from emulator.sms_provider.rest import DEFAULT_SENDER, MAX_SEND, MAX_STATUS, MAX_TEXT, RETURN_MESSAGES
from emulator.sms_provider.state import ProviderRefusal, ProviderState, is_valid_receptor

NAMESPACE = "http://api.kavenegar.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
CONTENT_TYPES = {SOAP_ENV: "text/xml; charset=utf-8", SOAP12_ENV: "application/soap+xml; charset=utf-8"}
_SOAP12_CODES = {"Client": "Sender", "Server": "Receiver"}
#: Results that are .NET value types: the ASMX service always writes them, 0 on failure.
_VALUE_RESULTS = {"RemainCreditByApiKey": "<RemainCreditByApiKeyResult>0</RemainCreditByApiKeyResult>"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class SoapFault(Exception):
    """A request answered with a SOAP fault: ``Client`` (their mistake) or ``Server``."""

    def __init__(self, code: str, reason: str, version: str = SOAP_ENV) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.version = version


def fault_envelope(code: str, reason: str, version: str = SOAP_ENV) -> bytes:
    """A fault in the request's SOAP version."""
    if version == SOAP12_ENV:
        fault = (
            f"<soap:Code><soap:Value>soap:{_SOAP12_CODES.get(code, code)}</soap:Value></soap:Code>"
            f'<soap:Reason><soap:Text xml:lang="en">{escape(reason)}</soap:Text></soap:Reason>'
        )
    else:
        fault = f"<faultcode>soap:{code}</faultcode><faultstring>{escape(reason)}</faultstring><detail/>"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{version}"><soap:Body><soap:Fault>{fault}</soap:Fault></soap:Body></soap:Envelope>'
    ).encode()


def answer(state: ProviderState, body: bytes, forced_code: int | None = None) -> tuple[bytes, str]:
    """The response envelope for one request envelope and its content type; SoapFault for an unusable request.

    ``forced_code`` (an injected provider fault) answers with that status and no result.
    """
    version, operation, call = _operation(body)
    handler = _OPERATIONS.get(operation)
    if handler is None:
        raise SoapFault(
            "Client", f"Server did not recognize the value of HTTP Header SOAPAction: {operation}.", version
        )
    result = _VALUE_RESULTS.get(operation, "")
    if forced_code is not None:
        code = forced_code
    elif _text(call, "apikey") != state.api_key:
        code = 403
    else:
        try:
            result, code = handler(state, call), 200
        except ProviderRefusal as refusal:
            code = refusal.code
    return _response(version, operation, result, code), CONTENT_TYPES[version]


def _operation(body: bytes) -> tuple[str, str, etree._Element]:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Client", f"the request is not XML: {exc}") from None
    version = etree.QName(root).namespace
    soap_body = root.find(f"{{{version}}}Body") if version in CONTENT_TYPES else None
    if etree.QName(root).localname != "Envelope" or soap_body is None or len(soap_body) == 0:
        raise SoapFault("Client", "the request is not a SOAP 1.1 or 1.2 envelope with a body")
    call = soap_body[0]
    qualified = etree.QName(call)
    if qualified.namespace != NAMESPACE:
        raise SoapFault("Client", f"unknown namespace {qualified.namespace}", version)
    return version, qualified.localname, call


def _text(call: etree._Element, name: str) -> str:
    found = call.find(f"{{{NAMESPACE}}}{name}")
    return (found.text or "") if found is not None else ""


def _items(call: etree._Element, name: str, item: str) -> list[str]:
    holder = call.find(f"{{{NAMESPACE}}}{name}")
    return [] if holder is None else [(e.text or "") for e in holder.findall(f"{{{NAMESPACE}}}{item}")]


def _response(version: str, operation: str, result: str, code: int) -> bytes:
    message = RETURN_MESSAGES.get(code, "خطای ناشناخته")
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{version}"><soap:Body>'
        f'<{operation}Response xmlns="{NAMESPACE}">{result}<status>{code}</status>'
        f"<statusmessage>{escape(message)}</statusmessage></{operation}Response>"
        "</soap:Body></soap:Envelope>"
    ).encode()


def _send_simple(state: ProviderState, call: etree._Element) -> str:
    """One text from one line to ``receptor`` (an ArrayOfString); ``unixdate`` 0 is now, ``msgmode`` the SDK's type."""
    receptors = _items(call, "receptor", "string")
    text, sender = _text(call, "message"), _text(call, "sender")
    _check_send(receptors, [text])
    sent = state.send((r, text, sender or DEFAULT_SENDER, None) for r in receptors)
    ids = "".join(f"<long>{m.messageid}</long>" for m in sent)
    return f"<SendSimpleByApikeyResult>{ids}</SendSimpleByApikeyResult>"


def _check_send(receptors: list[str], texts: list[str]) -> None:
    if len(receptors) > MAX_SEND:
        raise ProviderRefusal(414)
    if not receptors or not all(is_valid_receptor(r) for r in receptors):
        raise ProviderRefusal(411)
    if not all(0 < len(t) <= MAX_TEXT for t in texts):
        raise ProviderRefusal(413)


def _send_array(state: ProviderState, call: etree._Element) -> str:
    senders, texts = _items(call, "sender", "string"), _items(call, "message", "string")
    receptors = _items(call, "receptor", "string")
    if not len(senders) == len(texts) == len(receptors):
        raise ProviderRefusal(419)
    _check_send(receptors, texts)
    sent = state.send((r, t, s or DEFAULT_SENDER, None) for r, t, s in zip(receptors, texts, senders, strict=True))
    ids = "".join(f"<long>{m.messageid}</long>" for m in sent)
    return f"<SendArrayByApikeyResult>{ids}</SendArrayByApikeyResult>"


def _get_status(state: ProviderState, call: etree._Element) -> str:
    raw = _items(call, "messageid", "long")
    if len(raw) > MAX_STATUS:
        raise ProviderRefusal(414)
    try:
        ids = [int(i) for i in raw]
    except ValueError:
        raise SoapFault("Client", "messageid holds a value that is not a long") from None
    codes = "".join(f"<int>{status}</int>" for _, _, status in state.statuses(ids))
    return f"<GetStatusByApikeyResult>{codes}</GetStatusByApikeyResult>"


def _receive(state: ProviderState, call: etree._Element) -> str:
    line, is_read = _text(call, "lineNumber"), _text(call, "isread")
    if not line:
        raise ProviderRefusal(406)
    if is_read not in ("0", "1"):
        raise SoapFault("Client", "isread must be 0 or 1")
    rows = "".join(
        f"<ApiReceive><messageid>{r.messageid}</messageid><message>{escape(r.message)}</message>"
        f"<sender>{escape(r.sender)}</sender><receptor>{escape(r.receptor)}</receptor><date>{r.date}</date>"
        "</ApiReceive>"
        for r in state.receive(line, mark_read=is_read == "0")
    )
    return f"<ReceiveByApikeyResult>{rows}</ReceiveByApikeyResult>"


def _remain_credit(state: ProviderState, call: etree._Element) -> str:
    return f"<RemainCreditByApiKeyResult>{state.remaining_credit()}</RemainCreditByApiKeyResult>"


_OPERATIONS: dict[str, Callable[[ProviderState, etree._Element], str]] = {
    "SendArrayByApikey": _send_array,
    "SendSimpleByApikey": _send_simple,
    "GetStatusByApikey": _get_status,
    "ReceiveByApikey": _receive,
    "RemainCreditByApiKey": _remain_credit,
}
