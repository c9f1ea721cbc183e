"""The bridge's long-running tasks: named, their crashes logged, periodic jobs surviving a bad round."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


def supervised(name: str, coroutine: Awaitable[None]) -> asyncio.Task:
    """``coroutine`` as a named task whose crash is logged, not lost with the task."""
    task = asyncio.ensure_future(coroutine)
    task.set_name(name)
    task.add_done_callback(_log_crash)
    return task


async def survive(action: Callable[[], Awaitable[None]]) -> None:
    """Run one round of a periodic job; a failure (a full disk) is logged and the next round runs anyway."""
    try:
        await action()
    except Exception:
        log.exception("%s failed; trying again next round", getattr(action, "__name__", "periodic job"))


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s crashed", task.get_name(), exc_info=task.exception())
