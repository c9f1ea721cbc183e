"""The bridge's parts as plug-ins: each module's ``from_bridge(bridge)`` wires one part into the daemon.

CALL-01..-05, -07..-09, -14..-18, -26..-31. :data:`bridge.config.model.DEFAULT_LISTENERS`
and :data:`bridge.config.model.DEFAULT_SETTINGS_SOURCE` name them, so a plain
``bridge.toml`` runs every part; a part whose table is absent logs one INFO
line and stays off. The parts share one :class:`~bridge.plugins.crm.CrmContext`
per bridge (read clients, CRM settings and number index per environment).
"""
