"""What the e2e tests of the demo steps share: the emulator state ``commsuite demo`` reaches before them."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.dataverse import DataverseClient
from emulator.server import EmulatorServer

DEMO_TOKEN = "commsuite-demo"


@dataclass
class SeededEmulator:
    server: EmulatorServer
    client: DataverseClient
    lines: list[str] = field(default_factory=list)
