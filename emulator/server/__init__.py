"""The HTTP face of the local Dataverse Web API emulator (see docs/emulator.md)."""

from emulator.server.app import EmulatorServer
from emulator.server.faults import FaultPlan, Outage, ServiceProtection

__all__ = ["EmulatorServer", "FaultPlan", "Outage", "ServiceProtection"]
