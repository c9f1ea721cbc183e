"""Call use cases any host can run: the rows a click-to-call request and a call recording are read and written as.

The PBX sockets, the outbox and the workers that drive them stay in ``bridge/``.
"""
