"""HylaFAX connector: hfaxd's client protocol on port 4559 (Elastix / Issabel fax is HylaFAX)."""

from connectors.fax.hylafax.server import HylaFaxServer, HylaFaxSettings

__all__ = ["HylaFaxServer", "HylaFaxSettings"]
