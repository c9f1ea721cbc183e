"""The bridge as an operating-system service: signals, systemd readiness, importable plug-in factories.

* :func:`install_stop_signals`: SIGTERM / SIGINT (and SIGBREAK on Windows) ask
  for a clean stop; a second signal exits at once (the outbox is durable, so
  even that loses nothing that was acknowledged).
* :func:`notify_systemd`: ``READY=1`` / ``STOPPING=1`` for ``Type=notify``
  units, sent only when systemd gave a ``NOTIFY_SOCKET``.
* :func:`load_factory`: ``"package.module:factory"`` → the callable.
* :func:`run_service`: run the daemon's coroutine and leave at once once it
  stopped cleanly, even when a Dataverse request is still waiting in a thread
  (a CRM that accepts and never answers must not hold a service stop).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from bridge.runtime.inflight import describe

log = logging.getLogger(__name__)

#: Exit status after a second stop signal: the conventional 128 + SIGTERM.
FORCED_EXIT_STATUS = 143
#: Exit status after the bridge installed a new version (CALL-44): the service manager starts it again, from
#: the ``current`` link that now points at the new version (EX_TEMPFAIL; deploy/systemd, docs/bridge.md).
RESTART_STATUS = 75


class FactoryError(ValueError):
    """A ``module:factory`` reference cannot be loaded; the message says which and why."""


def load_factory(spec: str) -> Callable[..., Any]:
    """Import ``module`` and return its attribute ``factory``; :class:`FactoryError` otherwise."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise FactoryError(f"{spec!r} is not 'package.module:factory'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise FactoryError(f"{spec}: module {module_name} cannot be imported ({exc})") from exc
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise FactoryError(f"{spec}: {module_name} has no callable {attribute}")
    return factory


def install_stop_signals(
    loop: asyncio.AbstractEventLoop, request_stop: Callable[[str], None], exit_now: Callable[[int], None] = os._exit
) -> Callable[[], None]:
    """Route stop signals to ``request_stop(signal name)``; returns a function that restores the defaults."""
    received: list[str] = []

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        if received:
            log.warning("second %s: exiting now; queued writes stay in the outbox", name)
            exit_now(FORCED_EXIT_STATUS)
            return
        received.append(name)
        request_stop(name)

    wanted = [signal.SIGTERM, signal.SIGINT, *([signal.SIGBREAK] if hasattr(signal, "SIGBREAK") else [])]
    installed: list[int] = []
    for signum in wanted:
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except (NotImplementedError, RuntimeError):  # Windows' proactor loop: fall back to signal.signal
            signal.signal(signum, lambda number, frame: loop.call_soon_threadsafe(on_signal, number))
        installed.append(signum)

    def restore() -> None:
        for signum in installed:
            try:
                loop.remove_signal_handler(signum)
            except (NotImplementedError, RuntimeError):
                signal.signal(signum, signal.SIG_DFL)

    return restore


def notify_systemd(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``state`` (``READY=1``, ``STOPPING=1``, ``STATUS=...``) to systemd; False when not under systemd."""
    address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET", "")
    if not address or not hasattr(socket, "AF_UNIX"):
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(state.encode("utf-8"), address)
    except OSError as exc:
        log.warning("systemd notification failed: %s", exc)
        return False
    return True


def run_service(
    main: Coroutine[Any, Any, None],
    *,
    exit_now: Callable[[int], None] = os._exit,
    exit_status: Callable[[], int] = lambda: 0,
) -> None:
    """Run ``main`` (the bridge's ``run()``) on a new event loop; raises what it raises.

    ``asyncio.run`` would then wait for every worker thread, and a blocking read
    that Dataverse never answers holds one for its read timeout (minutes). The
    bridge's own stop has already made everything durable, so when such threads
    remain the process exits without them (the request is lost, its outbox row
    is sent again at the next start), with ``exit_status()`` (0, or
    :data:`RESTART_STATUS` after an update).
    """
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()  # does not wait for the default executor's threads
    waiting = [
        describe(t)
        for t in threading.enumerate()
        if t is not threading.current_thread() and t.is_alive() and not t.daemon
    ]
    if waiting:
        log.info(
            "leaving %d thread(s) still waiting on the network, abandoned: %s",
            len(waiting),
            "; ".join(waiting),
            extra={"operation": "stop"},
        )
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        exit_now(exit_status())
