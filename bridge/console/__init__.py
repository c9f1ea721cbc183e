"""The bridge's local web console and live pop-ups (CALL-03, -05, -09, -30, -31, -33, -34); see ``docs/console.md``.

Wiring, in the bridge daemon::

    live = LiveView(org_url=settings.org_url, matcher=index_matcher(indexes.get), user_names=names)
    pipeline.add_listener(live)                                  # a CallListener
    server = ConsoleServer(settings, live, commands=port, cards=CardService(dataverse_card_source(client)),
                           health_snapshot=health.snapshot)
    await server.start()  ...  await server.stop()
"""
