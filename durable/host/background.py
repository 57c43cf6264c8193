"""Work an object spawned (a saga's driver), run after the call that spawned it is durable;
at most one piece of work per object at a time."""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from durable.context import Background

log = logging.getLogger(__name__)


class BackgroundWork:
    def __init__(self, kind: str) -> None:
        self._kind = kind
        self._running: dict[str, asyncio.Task[None]] = {}

    def start_after(
        self, commit: asyncio.Future[None] | None, key: str, work: Background, ref: Any
    ) -> None:
        running = self._running.get(key)
        if running is not None and not running.done():
            return

        async def run() -> None:
            if commit is not None:
                await commit
            await work(ref)

        task = asyncio.get_running_loop().create_task(run())
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))

    def cancel_where(self, belongs: Callable[[str], bool]) -> None:
        """Stops the work of the objects `belongs` picks (their file is handed to another
        host, which resumes that work from what the file holds)."""
        for key, task in list(self._running.items()):
            if belongs(key):
                task.cancel()

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("background work of %s %s failed", self._kind, key, exc_info=task.exception())
