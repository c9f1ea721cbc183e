"""Kavenegar's REST API, mocked with ``responses`` at its real wire format (https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.{json|xml}).

Every send is recorded as it arrives, *without* Kavenegar's own localid
de-duplication, so a test that finds each recipient exactly once proves our
exactly-once, not the provider's. Faults: ``fail_next`` (HTTP 5xx before
anything is sent), ``lose_reply_next`` (accepted, then the connection drops),
``kill_before`` / ``kill_after`` (the worker dies before or after the provider
took the batch). ``lookup_status`` is the status a look-up by localid reports
for a message it has (1 queued, 4 sent to the operator, 10 delivered).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import requests
import responses

KEY = "TESTKEY-bulk"
BASE = f"https://api.kavenegar.com/v1/{KEY}"
_STATUS_TEXTS = {1: "در صف ارسال", 4: "ارسال به مخابرات", 10: "رسیده به گیرنده"}
_MESSAGE_IDS = itertools.count(8_792_343)  # unique across every fake in a process, as the real ids are


class Killed(BaseException):
    """Stands in for the worker process dying (nothing below catches a BaseException)."""


@dataclass
class FakeKavenegar:
    sent: list[tuple[str, str, str, int]] = field(default_factory=list)  # (localid, receptor, text, id)
    requests_seen: int = 0
    fail_next: int = 0
    lose_reply_next: int = 0
    kill_before: int | None = None
    kill_after: int | None = None
    lookup_status: int = 1
    inbox: list[dict] = field(default_factory=list)
    on_request: Callable[[FakeKavenegar], None] | None = None  # runs as each send arrives
    on_accepted: Callable[[FakeKavenegar], None] | None = None  # runs once a send is recorded

    def install(self, wire: responses.RequestsMock) -> None:
        for method in ("sms/send", "sms/sendarray"):
            wire.add_callback(responses.POST, f"{BASE}/{method}.json", callback=self._send)
        wire.add_callback(responses.POST, f"{BASE}/sms/statuslocalmessageid.json", callback=self._status_local)
        wire.add_callback(responses.POST, f"{BASE}/sms/receive.json", callback=self._receive)

    def receptors(self) -> list[str]:
        return [receptor for _, receptor, _, _ in self.sent]

    def _send(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        self.requests_seen += 1
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        if self.on_request is not None:
            self.on_request(self)
        if self.kill_before is not None and self.requests_seen >= self.kill_before:
            self.kill_before = None
            raise Killed("worker killed before the provider call")
        if self.fail_next:
            self.fail_next -= 1
            return 503, {}, "Service Unavailable"
        if "localmessageids" in form:
            receptors, messages = json.loads(form["receptor"]), json.loads(form["message"])
            ids = form["localmessageids"].split(",")
        else:
            receptors = form["receptor"].split(",")
            messages, ids = [form["message"]] * len(receptors), form["localid"].split(",")
        entries = []
        for local, receptor, message in zip(ids, receptors, messages, strict=True):
            message_id = next(_MESSAGE_IDS)
            self.sent.append((local, receptor, message, message_id))
            entries.append(
                {
                    "messageid": message_id,
                    "message": message,
                    "status": 1,
                    "statustext": "در صف ارسال",
                    "sender": "10004346",
                    "receptor": receptor,
                    "date": 1356619709,
                    "cost": 120,
                    "localid": local,
                }
            )
        if self.on_accepted is not None:
            self.on_accepted(self)
        if self.kill_after is not None and self.requests_seen >= self.kill_after:
            self.kill_after = None
            raise Killed("worker killed after the provider took the batch")
        if self.lose_reply_next:
            self.lose_reply_next -= 1
            raise requests.ConnectionError("connection reset by peer")
        return (
            200,
            {},
            json.dumps({"return": {"status": 200, "message": "تایید شد"}, "entries": entries}, ensure_ascii=False),
        )

    def _status_local(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        known = {local: message_id for local, _, _, message_id in self.sent}
        entries = []
        for local in form["localid"].split(","):
            if local in known:
                entries.append(
                    {
                        "messageid": known[local],
                        "localid": local,
                        "status": self.lookup_status,
                        "statustext": _STATUS_TEXTS[self.lookup_status],
                    }
                )
            else:
                entries.append({"messageid": 0, "localid": local, "status": 100, "statustext": "نامعتبر"})
        return 200, {}, json.dumps({"return": {"status": 200, "message": "تایید شد"}, "entries": entries})

    def _receive(self, request: requests.PreparedRequest) -> tuple[int, dict, str]:
        entries, self.inbox = self.inbox, []
        return (
            200,
            {},
            json.dumps({"return": {"status": 200, "message": "تایید شد"}, "entries": entries}, ensure_ascii=False),
        )
