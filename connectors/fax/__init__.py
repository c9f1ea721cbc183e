"""Fax server connectors and their registry, keyed by server kind (FAX-02).

Every kind implements :class:`connectors.fax.base.FaxServer`. A new kind is one
module or package in this folder plus one line below, in alphabetical order.
"""

from __future__ import annotations

from connectors.fax.base import FaxServer
from connectors.fax.hylafax import HylaFaxServer
from connectors.fax.myfax import MyFaxServer
from connectors.fax.windows import WindowsFaxServer

SERVERS: dict[str, type] = {
    "hylafax": HylaFaxServer,
    "myfax": MyFaxServer,
    "windows": WindowsFaxServer,
}

__all__ = ["SERVERS", "FaxServer"]
