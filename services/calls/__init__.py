"""Call use cases any host can run: the rows a click-to-call request and a call recording are read and written as,
and the telephony settings read from the CRM (``telephony_settings``).

The PBX sockets, the outbox and the workers that drive them stay in ``bridge/``.
"""
