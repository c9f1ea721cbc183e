"""Local stand-ins for the outside world, used by the demo, the tests and the benchmarks.

``emulator.server`` serves a Dataverse Web API over SQLite (``emulator.store``,
``emulator.odata``); ``emulator.seed`` fills it with demo data; ``emulator.ami`` speaks
Asterisk's manager interface. See docs/emulator.md.
"""
