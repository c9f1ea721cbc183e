"""SMS services (SMS-01..23): single sends, delivery tracking, credit, the sweep, bulk sends and inbound texts.

Host-agnostic use cases over ``domain.sms`` and ``connectors.sms``, built by
``services.factory``; see docs/sms.md. ``bulk`` and ``inbound`` import the
shared modules here (``accounts``, ``directory``, ``tables``, ``sender``);
nothing here imports them back.
"""
