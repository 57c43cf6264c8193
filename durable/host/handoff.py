"""Handing a file (a partition, or a dedicated object's file) from one host to another
(ARCHITECTURE §13.3): while it is handed off, new calls on its objects wait; calls already
running finish first; when the handoff ends the waiting calls either go on here (it was
called off) or learn that the file is served elsewhere now."""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from durable.errors import RuntimeFault


class HandoffTimedOut(RuntimeFault):
    code = "handoff_timed_out"


class Handoff:
    """Args:
    on_pause: told how many seconds a call waited for a handoff to end.
    """

    def __init__(self, on_pause: Callable[[float], None] = lambda seconds: None) -> None:
        self._on_pause = on_pause
        self._busy: Counter[Any] = Counter()
        self._idle: dict[Any, asyncio.Event] = {}
        self._held: dict[Any, asyncio.Future[bool]] = {}
        self._watchers: dict[Any, set[asyncio.Future[None]]] = {}

    def holds(self, file_key: Any) -> bool:
        """True while the file is being handed off (new calls wait)."""
        return file_key in self._held

    def enter_now(self, file_key: Any) -> bool:
        """Counts a call in at once if its file is not being handed off (the hot path: no
        coroutine); False: use `enter`."""
        if file_key in self._held:
            return False
        self._busy[file_key] += 1
        return True

    async def enter(self, file_key: Any) -> bool:
        """Counts a call on the file in; waits while the file is handed off. False: the file
        went to another host and the call must not run here (pair True with `leave`)."""
        if file_key in self._held:
            started = time.monotonic()
            while file_key in self._held:
                if await asyncio.shield(self._held[file_key]):
                    self._on_pause(time.monotonic() - started)
                    return False
            self._on_pause(time.monotonic() - started)
        self._busy[file_key] += 1
        return True

    def leave(self, file_key: Any) -> None:
        self._busy[file_key] -= 1
        if self._busy[file_key] <= 0:
            del self._busy[file_key]
            idle = self._idle.pop(file_key, None)
            if idle is not None:
                idle.set()

    def watch(self, file_key: Any) -> asyncio.Future[None]:
        """Resolves when a handoff of the file starts (for calls that do not count as running:
        waiters, which may wait for minutes); pair with `unwatch`."""
        watcher: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watchers.setdefault(file_key, set()).add(watcher)
        return watcher

    def unwatch(self, file_key: Any, watcher: asyncio.Future[None]) -> None:
        watchers = self._watchers.get(file_key)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self._watchers[file_key]

    async def hold(self, file_key: Any, timeout_s: float) -> None:
        """New calls on the file wait from now on; returns once the calls running on it have
        finished (their writes durable: a call leaves only after its output gate).

        Raises:
            HandoffTimedOut: they did not finish within `timeout_s` (one may be waiting for
                another object of the same file); the hold is ended, nothing changed.
        """
        try:
            await asyncio.wait_for(self._hold(file_key), timeout_s)
        except TimeoutError:
            self.end(file_key, moved=False)
            raise HandoffTimedOut(f"the calls on {file_key!r} did not finish") from None

    async def _hold(self, file_key: Any) -> None:
        if file_key not in self._held:
            self._held[file_key] = asyncio.get_running_loop().create_future()
        for watcher in self._watchers.pop(file_key, set()):
            if not watcher.done():
                watcher.set_result(None)
        if self._busy[file_key] > 0:
            idle = self._idle.setdefault(file_key, asyncio.Event())
            await idle.wait()

    def hold_now(self, file_key: Any) -> None:
        """Holds a file that nobody is using yet (a host starting while it is handed off)."""
        if file_key not in self._held:
            self._held[file_key] = asyncio.get_running_loop().create_future()

    def end(self, file_key: Any, *, moved: bool) -> None:
        """The handoff is over: waiting calls run here (`moved` False) or are told to go
        elsewhere (`moved` True)."""
        held = self._held.pop(file_key, None)
        if held is not None and not held.done():
            held.set_result(moved)
