"""The bridge's local web console and live pop-ups (CALL-03, -05, -09, -30, -31, -33, -34); see ``docs/console.md``.

Wiring, in the bridge daemon::

    live = LiveView(org_url=settings.org_url, matcher=index_matcher(indexes.get), user_names=names)
    pipeline.add_listener(live)                                  # a CallListener
    server = ConsoleServer(settings, live, commands=port, cards=CardService(dataverse_card_source(client)),
                           health_snapshot=health.snapshot)
    await server.start()  ...  await server.stop()
"""

from bridge.console.cards import CardService, dataverse_card_source
from bridge.console.commands import CommandPort, CommandRefusedError
from bridge.console.live import CallerMatcher, LiveView, index_matcher
from bridge.console.server import ConsoleServer
from bridge.console.settings import ConsoleSettings, ConsoleUser
from bridge.console.visibility import Viewer

__all__ = [
    "CallerMatcher",
    "CardService",
    "CommandPort",
    "CommandRefusedError",
    "ConsoleServer",
    "ConsoleSettings",
    "ConsoleUser",
    "LiveView",
    "Viewer",
    "dataverse_card_source",
    "index_matcher",
]
