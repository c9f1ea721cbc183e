"""Kavenegar's SOAP service (``soap/v1.asmx``, namespace ``http://api.kavenegar.com/``) over a ProviderState.

Answers the four operations of the vendored WSDL (``connectors/sms/wsdl/kavenegar.wsdl``):
``SendArrayByApikey``, ``GetStatusByApikey``, ``ReceiveByApikey`` and
``RemainCreditByApiKey``. As the ASMX service does, the HTTP status is 200 and the outcome
is in the by-reference ``status`` / ``statusmessage`` elements; an envelope that cannot
be read gets a ``soap:Client`` fault, a failure of ours a ``soap:Server`` fault (HTTP 500).
"""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

from lxml import etree

from emulator.sms_provider.rest import DEFAULT_SENDER, MAX_SEND, MAX_STATUS, MAX_TEXT, RETURN_MESSAGES
from emulator.sms_provider.state import ProviderRefusal, ProviderState, is_valid_receptor

NAMESPACE = "http://api.kavenegar.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
#: Results that are .NET value types: the ASMX service always writes them, 0 on failure.
_VALUE_RESULTS = {"RemainCreditByApiKey": "<RemainCreditByApiKeyResult>0</RemainCreditByApiKeyResult>"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class SoapFault(Exception):
    """A request answered with a SOAP fault: ``Client`` (their mistake) or ``Server``."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def fault_envelope(code: str, reason: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{escape(reason)}</faultstring><detail/>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def answer(state: ProviderState, body: bytes, forced_code: int | None = None) -> bytes:
    """The response envelope for one request envelope; raises SoapFault for an unusable request.

    ``forced_code`` (an injected provider fault) answers with that status and no result.
    """
    operation, call = _operation(body)
    handler = _OPERATIONS.get(operation)
    if handler is None:
        raise SoapFault("Client", f"Server did not recognize the value of HTTP Header SOAPAction: {operation}.")
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
    return _response(operation, result, code)


def _operation(body: bytes) -> tuple[str, etree._Element]:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Client", f"the request is not XML: {exc}") from None
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    if root.tag != f"{{{SOAP_ENV}}}Envelope" or soap_body is None or len(soap_body) == 0:
        raise SoapFault("Client", "the request is not a SOAP 1.1 envelope with a body")
    call = soap_body[0]
    qualified = etree.QName(call)
    if qualified.namespace != NAMESPACE:
        raise SoapFault("Client", f"unknown namespace {qualified.namespace}")
    return qualified.localname, call


def _text(call: etree._Element, name: str) -> str:
    found = call.find(f"{{{NAMESPACE}}}{name}")
    return (found.text or "") if found is not None else ""


def _items(call: etree._Element, name: str, item: str) -> list[str]:
    holder = call.find(f"{{{NAMESPACE}}}{name}")
    return [] if holder is None else [(e.text or "") for e in holder.findall(f"{{{NAMESPACE}}}{item}")]


def _response(operation: str, result: str, code: int) -> bytes:
    message = RETURN_MESSAGES.get(code, "خطای ناشناخته")
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
        f'<{operation}Response xmlns="{NAMESPACE}">{result}<status>{code}</status>'
        f"<statusmessage>{escape(message)}</statusmessage></{operation}Response>"
        "</soap:Body></soap:Envelope>"
    ).encode()


def _send_array(state: ProviderState, call: etree._Element) -> str:
    senders, texts = _items(call, "sender", "string"), _items(call, "message", "string")
    receptors = _items(call, "receptor", "string")
    if not len(senders) == len(texts) == len(receptors):
        raise ProviderRefusal(419)
    if len(receptors) > MAX_SEND:
        raise ProviderRefusal(414)
    if not receptors or not all(is_valid_receptor(r) for r in receptors):
        raise ProviderRefusal(411)
    if not all(0 < len(t) <= MAX_TEXT for t in texts):
        raise ProviderRefusal(413)
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
    "GetStatusByApikey": _get_status,
    "ReceiveByApikey": _receive,
    "RemainCreditByApiKey": _remain_credit,
}
