"""Windows Fax Server connector: the Fax Service Extended COM API through pywin32 (imported lazily)."""

from connectors.fax.windows.server import WindowsFaxServer, WindowsFaxSettings

__all__ = ["WindowsFaxServer", "WindowsFaxSettings"]
