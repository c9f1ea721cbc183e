"""Reading back what the telephony demo's bridge wrote: calls, matches, notices, recording, click-to-call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.runtime.raw_journal import RawJournal
from cli.demo_console import ConsoleDemo
from cli.demo_telephony_setup import AMI_KEY, SMDR_KEY, Say
from connectors.dataverse import DataverseClient, odata
from dataverse_schema.names import Annotation, Appnotification, CallRecording, ClickToCall, Contact, PhoneCall, Task
from domain.calls.click_to_call import ClickToCallStatus
from emulator.ami.scenarios import CUSTOMER
from services.calls.recordings import STATUS_ATTACHED, STATUS_FOUND


@dataclass
class TelephonyResult:
    calls: Counter[str] = field(default_factory=Counter)  # "inbound answered" -> count
    matched: dict[str, int] = field(default_factory=dict)  # contact name -> calls
    notifications: int = 0
    notice_kind: str = Appnotification.TABLE  # a task on premises, where the table does not exist
    recording_status: str = ""
    click_to_call: str = ""
    journalled: int = 0
    unparsed: int = 0
    console: ConsoleDemo | None = None
    stop: Callable[[], None] = lambda: None  # stops the bridge ``--serve`` kept running

    def lines(self) -> list[tuple[str, str]]:
        calls = ", ".join(f"{n} {what}" for what, n in sorted(self.calls.items()))
        names = ", ".join(f"{name} ({n})" for name, n in sorted(self.matched.items()))
        return [
            ("bridge: phone calls", f"{sum(self.calls.values())}: {calls}"),
            ("bridge: matched calls", names or "none"),
            ("bridge: missed-call notices", f"{self.notifications} {self.notice_kind}(s)"),
            ("bridge: recording", self.recording_status),
            ("bridge: click-to-call", self.click_to_call),
            ("bridge: raw SMDR journal", f"{self.journalled} line(s) kept, {self.unparsed} not understood"),
            ("bridge: console pop-ups", self.console.summary() if self.console else "console not started"),
        ]


def summary(client: DataverseClient, work: Path, file_name: str, say: Say, console: ConsoleDemo) -> TelephonyResult:
    """Read back what the bridge wrote, say it line by line, and return it."""
    result = TelephonyResult(console=console)
    _count_calls(client, result)
    if client.features.app_notifications:
        result.notifications = client.count(Appnotification.SET)
    else:  # [notices] left out: the bridge writes what the version offers, a task assigned to the user
        result.notice_kind, result.notifications = Task.TABLE, client.count(Task.SET)
    result.recording_status = _recording_status(client, file_name)
    row = next(client.query(ClickToCall.SET, select=[ClickToCall.STATUS, ClickToCall.DIALLEDNUMBER], top=1))
    result.click_to_call = (
        f"{ClickToCallStatus(row[ClickToCall.STATUS]).name.lower()}, dialled {row[ClickToCall.DIALLEDNUMBER]}"
    )
    journal = RawJournal(work / "raw-frames.db")
    result.journalled = len(journal.frames(SMDR_KEY))
    result.unparsed = len(journal.frames(SMDR_KEY, unparsed_only=True))
    journal.close()
    for what, text in result.lines():
        say(f"{what}: {text}")
    return result


def _count_calls(client: DataverseClient, result: TelephonyResult) -> None:
    """The demo systems' phone calls by direction and answer, and the calls matched to the customer's contact."""
    keys = odata.in_(PhoneCall.SYSTEMKEY, [AMI_KEY, SMDR_KEY])
    calls = list(
        client.query(
            PhoneCall.SET,
            select=[
                PhoneCall.DIRECTIONCODE,
                PhoneCall.ANSWERED,
                PhoneCall.REGARDINGOBJECTID_VALUE,
                PhoneCall.SYSTEMKEY,
            ],
            filter=keys,
        )
    )
    names = {
        c[Contact.CONTACTID]: c[Contact.FULLNAME]
        for c in client.query(
            Contact.SET, select=[Contact.CONTACTID, Contact.FULLNAME], filter=odata.eq(Contact.MOBILEPHONE, CUSTOMER)
        )
    }
    for call in calls:
        direction = "outbound" if call[PhoneCall.DIRECTIONCODE] else "inbound"
        result.calls[f"{direction} {'answered' if call[PhoneCall.ANSWERED] else 'missed'}"] += 1
        name = names.get(call.get(PhoneCall.REGARDINGOBJECTID_VALUE))
        if name:
            result.matched[name] = result.matched.get(name, 0) + 1


def _recording_status(client: DataverseClient, file_name: str) -> str:
    """The recording row's status and how many notes carry its file."""
    recording: dict[str, Any] = next(
        client.query(
            CallRecording.SET,
            select=[CallRecording.FILENAME, CallRecording.STATUS],
            filter=odata.eq(CallRecording.FILENAME, file_name),
            top=1,
        )
    )
    status = {STATUS_ATTACHED: "attached", STATUS_FOUND: "found, not attached"}.get(
        recording[CallRecording.STATUS], "not attached"
    )
    notes = client.count(Annotation.SET, odata.eq(Annotation.FILENAME, recording[CallRecording.FILENAME]))
    return f"{recording[CallRecording.FILENAME]}: {status}, {notes} note attached"
