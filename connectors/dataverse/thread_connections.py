"""Connection pools of one thread each, for sign-ins that belong to a TCP connection (NTLM).

IIS signs in a *connection* in three legs: anonymous → 401, NEGOTIATE → 401 with a challenge,
AUTHENTICATE → the answer. requests-ntlm sends each leg through the session's pool and puts
the connection back between legs, trusting the pool (last in, first out) to hand the same one
out again. That holds only while no other thread shares the pool: when the drainer, the
settings refresh or a parallel bulk write puts its own connection back between two legs, the
AUTHENTICATE leg goes out on that connection, and IIS, which never sent it a challenge, refuses
the sign-in (an intermittent "wrong password" for the right one).

:class:`ThreadConnectionsAdapter` gives each thread its own pool manager, so a thread's legs
only ever meet its own connections. Each thread then signs in its own connections once, as
separate browsers would. Proxies are not pinned (NTLM through a forward proxy is not offered).
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.poolmanager import PoolManager


class ThreadConnectionsAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose ``poolmanager`` is one per calling thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._local = threading.local()
        self._managers: list[PoolManager] = []
        self._managers_lock = threading.Lock()
        self._pool_options: tuple[int, int, bool, dict[str, Any]] = (10, 10, False, {})
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self._pool_options = (connections, maxsize, block, pool_kwargs)

    @property  # type: ignore[override]
    def poolmanager(self) -> PoolManager:
        manager: PoolManager | None = getattr(self._local, "manager", None)
        if manager is None:
            connections, maxsize, block, pool_kwargs = self._pool_options
            manager = PoolManager(num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs)
            self._local.manager = manager
            with self._managers_lock:
                self._managers.append(manager)
        return manager

    @poolmanager.setter
    def poolmanager(self, _value: PoolManager) -> None:
        # HTTPAdapter's own set-up assigns one shared manager; each thread makes its own instead.
        pass

    def close(self) -> None:
        with self._managers_lock:
            managers, self._managers = self._managers, []
        for manager in managers:
            manager.clear()
        self._local = threading.local()
        for proxy in self.proxy_manager.values():
            proxy.clear()


def pin_connections_to_threads(session: requests.Session) -> requests.Session:
    """Mount :class:`ThreadConnectionsAdapter` on ``session`` for http and https; returns it."""
    for prefix in ("https://", "http://"):
        current = session.adapters.get(prefix)
        retries = current.max_retries if isinstance(current, HTTPAdapter) else 0
        session.mount(prefix, ThreadConnectionsAdapter(max_retries=retries))
    return session
