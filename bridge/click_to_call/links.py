"""The click-to-call request row gets its phone call: a lookup to the activity and a name (issue 11 §1.7, CALL-07).

The Originate the intake sends for a request begins a call whose first channel
the PBX names in its reply (Asterisk's ``OriginateResponse`` ``Uniqueid``,
which is also the call's ``Linkedid``, so its PBX call id). The intake tells
:meth:`ClickToCallLinks.expect` which request began which call; the call
logger tells :meth:`ClickToCallLinks.logged` each time it queued a call's
phone call. When both are known, the request row is updated through the
outbox with ``comms_phonecallid`` bound to the activity (its id is the
deterministic one every upsert of the call carries) and ``comms_name`` set to
the activity's subject, naming the phone call in ``after`` so the call's
upsert, queued before it, is sent first.

The link waits for a write of the call that is not held (issue 11 §4): the
call's end, or its first write where the early write is on. Linking to a held
row would release it early and cost the call a request.

Either side may come first (the Originate's reply can arrive after the call's
first events), so each side remembers the other's last ``kept`` entries.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from typing import Any

from bridge.outbox.store import Outbox, OutboxItem
from connectors.crm.phone_call import phone_call_key
from connectors.dataverse import AlternateKey, RecordId
from connectors.dataverse.refs import bind
from dataverse_schema.names import ClickToCall, PhoneCall
from domain.calls.record import CallRecord

log = logging.getLogger(__name__)

#: How many expected calls and logged calls each side remembers.
KEPT = 1000

_Key = tuple[str, str, str]  # environment, system key, PBX call id


class ClickToCallLinks:
    """Pairs click-to-call requests with the phone calls their Originates began, and links the request rows."""

    def __init__(self, outbox: Outbox, *, kept: int = KEPT) -> None:
        self.outbox = outbox
        self._kept = kept
        self._expected: OrderedDict[_Key, str] = OrderedDict()
        self._logged: OrderedDict[_Key, tuple[CallRecord, str, str]] = OrderedDict()
        self.linked = 0

    def expect(self, environment: str, system_key: str, call_id: str, request_id: str) -> None:
        """The Originate of ``request_id`` began call ``call_id`` of ``system_key``; linked once it is written."""
        if not call_id:
            log.info("click-to-call request %s: the PBX named no call; the row is not linked", request_id)
            return
        key = (environment, system_key, call_id)
        written = self._logged.pop(key, None)
        if written is not None:
            self._link(key, request_id, *written)
            return
        _remember(self._expected, key, request_id, self._kept)

    def logged(self, record: CallRecord, environment: str, phone_call_id: str, subject: str, *, held: bool) -> None:
        """The call logger queued ``record``'s phone call (id ``phone_call_id``) for ``environment``."""
        if held:
            return
        key = (environment, record.system, record.call_id)
        request_id = self._expected.pop(key, None)
        if request_id is not None:
            self._link(key, request_id, record, phone_call_id, subject)
        elif record.direction is not None:
            _remember(self._logged, key, (record, phone_call_id, subject), self._kept)

    def _link(self, key: _Key, request_id: str, record: CallRecord, phone_call_id: str, subject: str) -> None:
        environment = key[0]
        body = {**bind(ClickToCall.PHONECALLID_NAV, PhoneCall.SET, phone_call_id), ClickToCall.NAME: subject}
        after = ((PhoneCall.SET, AlternateKey(phone_call_key(record))),)
        self.outbox.submit(OutboxItem(environment, ClickToCall.SET, RecordId(request_id), body, after=after))
        self.linked += 1
        log.info(
            "click-to-call request %s linked to its phone call",
            request_id,
            extra={"environment": environment, "system": key[1], "call": key[2]},
        )


def _remember(entries: OrderedDict, key: _Key, value: Any, kept: int) -> None:
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > kept:
        entries.popitem(last=False)


_LINKS: weakref.WeakKeyDictionary[Any, ClickToCallLinks] = weakref.WeakKeyDictionary()


def links_for(bridge: Any) -> ClickToCallLinks:
    """The bridge's one :class:`ClickToCallLinks`, shared by the call logger and the click-to-call intake."""
    links = _LINKS.get(bridge)
    if links is None:
        links = _LINKS[bridge] = ClickToCallLinks(bridge.outbox)
    return links
