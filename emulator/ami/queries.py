"""The AMI actions that only read the PBX's state: CLI ``Command``, ``CoreSettings`` and the snapshots.

Snapshots are event lists as Asterisk sends them: a ``Response: Success`` with ``EventList: start``,
one event per item carrying the ActionID, and a ``...Complete`` event with ``ListItems``.
``ExtensionStateList`` and ``DeviceStateList`` exist from Asterisk 13 on; the legacy dialect
(Asterisk 11) answers them as unknown commands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from emulator.ami.channels import LiveChannels
from emulator.ami.scenarios import Headers
from emulator.ami.wire import BANNERS, VERSIONS, Client, reply, unknown_command, write

_EXTENSIONS = ("101", "102", "103")
COMMANDS = {
    "core show version": ["Asterisk {version} built by root @ pbx on a x86_64 running Linux"],
    "core show uptime": [
        "System uptime: 3 days, 4 hours, 12 minutes, 5 seconds",
        "Last reload: 2 hours, 1 minute, 40 seconds",
    ],
    "core show channels": [
        "Channel              Location             State   Application(Data)",
        "",
        "0 active channels",
        "0 active calls",
    ],
}


@dataclass(frozen=True)
class PbxState:
    """What the read-only actions answer from: the dialect, the live channels and the queue's callers."""

    dialect: str
    live: LiveChannels
    queue: Mapping[str, Headers]

    @property
    def modern(self) -> bool:
        return self.dialect == "modern"


def command(client: Client, state: PbxState, text: str, action_id: str) -> None:
    """``Action: Command``: CLI output as ``Output`` headers (13+) or a ``Response: Follows`` block (11)."""
    output = COMMANDS.get(
        text.strip().lower(),
        [f"No such command '{text}' (type 'core show help {text}' for other possible commands)"],
    )
    output = [line.replace("{version}", VERSIONS[state.dialect]) for line in output]
    if state.modern:
        lines = [("Output", line) for line in output]
        write(client, [("Response", "Success"), ("ActionID", action_id), ("Message", "Command output follows"), *lines])
        return
    body = "\n".join(output)
    client.writer.write(
        f"Response: Follows\r\nPrivilege: Command\r\nActionID: {action_id}\r\n{body}\n--END COMMAND--\r\n\r\n".encode()
    )


def core_settings(client: Client, state: PbxState, action_id: str) -> None:
    write(
        client,
        [
            ("Response", "Success"),
            ("ActionID", action_id),
            ("AMIversion", BANNERS[state.dialect].rsplit("/", 1)[1]),
            ("AsteriskVersion", VERSIONS[state.dialect]),
            ("SystemName", "pbx-emulator"),
        ],
    )


def _list(client: Client, action_id: str, message: str, items: list[Headers], complete: str) -> None:
    write(client, [("Response", "Success"), ("ActionID", action_id), ("EventList", "start"), ("Message", message)])
    for item in items:
        write(client, [*item, ("ActionID", action_id)])
    write(
        client,
        [("Event", complete), ("ActionID", action_id), ("EventList", "Complete"), ("ListItems", str(len(items)))],
    )


def _core_show_channels(client: Client, state: PbxState, action_id: str) -> None:
    items = state.live.core_show_channels()
    _list(client, action_id, "Channels will follow", items, "CoreShowChannelsComplete")


def _queue_status(client: Client, state: PbxState, action_id: str) -> None:
    items: list[Headers] = [
        [("Event", "QueueParams"), ("Queue", "support"), ("Max", "0"), ("Calls", str(len(state.queue)))]
    ]
    for position, headers in enumerate(state.queue.values(), start=1):
        fields = dict(headers)
        items.append(
            [
                ("Event", "QueueEntry"),
                ("Queue", "support"),
                ("Position", str(position)),
                ("Channel", fields["Channel"]),
                ("Uniqueid", fields["Uniqueid"]),
                ("CallerIDNum", fields.get("CallerIDNum", "")),
                ("Wait", "3"),
            ]
        )
    _list(client, action_id, "Queue status will follow", items, "QueueStatusComplete")


def _extension_states(client: Client, state: PbxState, action_id: str) -> None:
    if not state.modern:
        reply(client, action_id, "Error", unknown_command("ExtensionStateList"))
        return
    items = [
        [
            ("Event", "ExtensionStatus"),
            ("Exten", ext),
            ("Context", "ext-local"),
            ("Hint", f"PJSIP/{ext}"),
            ("Status", "0"),
            ("StatusText", "Idle"),
        ]
        for ext in _EXTENSIONS
    ]
    _list(client, action_id, "Extension Statuses will follow", items, "ExtensionStateListComplete")


def _device_states(client: Client, state: PbxState, action_id: str) -> None:
    if not state.modern:
        reply(client, action_id, "Error", unknown_command("DeviceStateList"))
        return
    items = [
        [("Event", "DeviceStateChange"), ("Device", f"PJSIP/{ext}"), ("State", "NOT_INUSE")] for ext in _EXTENSIONS
    ]
    _list(client, action_id, "Device State Changes will follow", items, "DeviceStateListComplete")


#: Snapshot actions by lower-case name.
LISTS: dict[str, Callable[[Client, PbxState, str], None]] = {
    "coreshowchannels": _core_show_channels,
    "queuestatus": _queue_status,
    "extensionstatelist": _extension_states,
    "devicestatelist": _device_states,
}
