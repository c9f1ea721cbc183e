"""Asterisk Manager Interface connector (CALL-21, -29, -30, -31) for Asterisk 1.8 / 11 and 12 / 13+.

Layers: :mod:`framing` (bytes → frames), :mod:`message` (frame → typed message
or ``BadFrame``), :mod:`protocol` (our asyncio protocol; panoramisk's ``Action`` for
reply correlation) + :mod:`session` (login, keep-alive, backoff), :mod:`dialect_legacy` / :mod:`dialect_modern`
(AMI events → ``CallEvent``), :mod:`commands` (Originate, ChanSpy, Command)
and :mod:`connector` (the :class:`~connectors.pbx.base.PbxConnector`).
"""

from connectors.pbx.ami.connector import AmiConnector, make_translator, probe
from connectors.pbx.ami.settings import AmiSettings, ChannelRules, Dialect, Technology

__all__ = ["AmiConnector", "AmiSettings", "ChannelRules", "Dialect", "Technology", "make_translator", "probe"]
