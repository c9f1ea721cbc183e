"""Kavenegar's REST methods over a :class:`ProviderState` (kavenegar/kavenegar-python:kavenegar.py).

``answer(scope_method, params, http_method)`` returns the HTTP status and the JSON
envelope ``{"return": {"status", "message"}, "entries"}``. Errors carry the same
envelope, with the HTTP status equal to the code, as Kavenegar answers them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from emulator.sms_provider.state import (
    STATUS_TEXTS,
    Message,
    ProviderRefusal,
    ProviderState,
    is_valid_receptor,
)

#: ``return.message`` texts (amircloner/kavenegar-node:README.md).
RETURN_MESSAGES = {
    200: "تایید شد",
    400: "پارامترها ناقص هستند",
    403: "کد شناسائی API-Key معتبر نمیباشد",
    404: "متد نامشخص است",
    405: "متد Get/Post اشتباه است",
    406: "پارامترهای اجباری خالی ارسال شده اند",
    409: "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید",
    411: "دریافت کننده نامعتبر است",
    412: "ارسال کننده نامعتبر است",
    413: "پیام خالی است و یا طول پیام بیش از حد مجاز میباشد",
    414: "حجم درخواست بیشتر از حد مجاز است",
    418: "اعتبار شما کافی نمیباشد",
    419: "طول آرایه متن و گیرنده و فرستنده هم اندازه نیست",
    422: "داده ها به دلیل وجود کاراکتر نامناسب قابل پردازش نیست",
    429: "IP محدود شده است",
    451: "فراخوانی بیش از حد در بازه زمانی مشخص IP محدود شده",
}
MAX_SEND = 200
MAX_STATUS = 500
MAX_TEXT = 900
DEFAULT_SENDER = "10004346"


def envelope(code: int, entries: Any = None) -> dict[str, Any]:
    message = RETURN_MESSAGES.get(code, "خطای ناشناخته")
    return {"return": {"status": code, "message": message}, "entries": entries}


def answer(state: ProviderState, method: str, params: Mapping[str, str], http_method: str) -> tuple[int, dict]:
    """The reply to ``{scope}/{method}`` (``sms/send``) with form or query ``params``."""
    handler = _METHODS.get(method)
    if handler is None:
        return 404, envelope(404)
    if method == "sms/sendarray" and http_method != "POST":
        return 405, envelope(405)
    try:
        return 200, envelope(200, handler(state, params))
    except ProviderRefusal as refusal:
        return refusal.code, envelope(refusal.code)


def _required(params: Mapping[str, str], name: str) -> str:
    if name not in params:
        raise ProviderRefusal(400)
    value = params[name].strip()
    if not value:
        raise ProviderRefusal(406)
    return value


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _check_message(text: str) -> None:
    if not text or len(text) > MAX_TEXT:
        raise ProviderRefusal(413)


def _check_receptors(receptors: list[str]) -> None:
    if len(receptors) > MAX_SEND:
        raise ProviderRefusal(414)
    if not receptors or not all(is_valid_receptor(r) for r in receptors):
        raise ProviderRefusal(411)


def _localids(params: Mapping[str, str], name: str, count: int) -> list[str | None]:
    if not params.get(name):
        return [None] * count
    ids = [i.strip() for i in params[name].split(",")]
    if len(ids) != count or not all(ids):
        raise ProviderRefusal(400)
    return list(ids)


def _entry(state: ProviderState, message: Message) -> dict[str, Any]:
    ((_, _, status),) = state.statuses([message.messageid])
    return {
        "messageid": message.messageid,
        "message": message.message,
        "status": status,
        "statustext": STATUS_TEXTS[status],
        "sender": message.sender,
        "receptor": message.receptor,
        "date": message.date,
        "cost": message.cost,
    }


def _send(state: ProviderState, params: Mapping[str, str]) -> list[dict]:
    receptors = _csv(_required(params, "receptor"))
    text = _required(params, "message")
    _check_receptors(receptors)
    _check_message(text)
    sender = params.get("sender") or DEFAULT_SENDER
    localids = _localids(params, "localid", len(receptors))
    sent = state.send((r, text, sender, local) for r, local in zip(receptors, localids, strict=True))
    return [_entry(state, m) for m in sent]


def _json_list(params: Mapping[str, str], name: str) -> list[str]:
    try:
        values = json.loads(_required(params, name))
    except ValueError:
        raise ProviderRefusal(400) from None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ProviderRefusal(400)
    return values


def _send_array(state: ProviderState, params: Mapping[str, str]) -> list[dict]:
    receptors, senders = _json_list(params, "receptor"), _json_list(params, "sender")
    texts = _json_list(params, "message")
    if not len(receptors) == len(senders) == len(texts):
        raise ProviderRefusal(419)
    _check_receptors(receptors)
    for text in texts:
        _check_message(text)
    localids = _localids(params, "localmessageids", len(receptors))
    items = zip(receptors, texts, [s or DEFAULT_SENDER for s in senders], localids, strict=True)
    return [_entry(state, m) for m in state.send(items)]


def _message_ids(params: Mapping[str, str]) -> list[int]:
    raw = _csv(_required(params, "messageid"))
    if len(raw) > MAX_STATUS:
        raise ProviderRefusal(414)
    try:
        return [int(i) for i in raw]
    except ValueError:
        raise ProviderRefusal(400) from None


def _status(state: ProviderState, params: Mapping[str, str]) -> list[dict]:
    return [
        {"messageid": i, "status": s, "statustext": STATUS_TEXTS[s]} for i, _, s in state.statuses(_message_ids(params))
    ]


def _select(state: ProviderState, params: Mapping[str, str]) -> list[dict]:
    return [_entry(state, m) for _, m, _ in state.statuses(_message_ids(params)) if m is not None]


def _status_by_localid(state: ProviderState, params: Mapping[str, str]) -> list[dict]:
    localids = _csv(_required(params, "localid"))
    if len(localids) > MAX_STATUS:
        raise ProviderRefusal(414)
    return [
        {"messageid": m.messageid if m else 0, "localid": i, "status": s, "statustext": STATUS_TEXTS[s]}
        for i, m, s in state.statuses_by_localid(localids)
    ]


def _receive(state: ProviderState, params: Mapping[str, str]) -> list[dict]:
    line = _required(params, "linenumber")
    if params.get("isread", "0") not in ("0", "1"):
        raise ProviderRefusal(400)
    rows = state.receive(line, mark_read=params.get("isread", "0") == "0")
    return [
        {"messageid": r.messageid, "message": r.message, "sender": r.sender, "receptor": r.receptor, "date": r.date}
        for r in rows
    ]


def _account_info(state: ProviderState, params: Mapping[str, str]) -> dict:
    return {"remaincredit": state.remaining_credit(), "expiredate": 1_893_456_000, "type": "master"}


_METHODS: dict[str, Callable[[ProviderState, Mapping[str, str]], Any]] = {
    "sms/send": _send,
    "sms/sendarray": _send_array,
    "sms/status": _status,
    "sms/select": _select,
    "sms/statuslocalmessageid": _status_by_localid,
    "sms/receive": _receive,
    "account/info": _account_info,
}
