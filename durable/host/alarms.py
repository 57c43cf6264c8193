"""Named wake-ups per object (ARCHITECTURE §3): stored in the log file, so a restarted host
re-arms them by reading the file and fires the overdue ones at once.

Only the next due time is kept in memory; any number of alarms costs no memory.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable

from durable.retry import RetryPolicy
from storage import LogFile
from storage.records import AlarmRecord, WriteUnit

log = logging.getLogger(__name__)

MAX_SLEEP_S = 30.0
ALARM_RETRY = RetryPolicy(first_backoff_s=1.0, max_backoff_s=300.0)
"""When a failed alarm handler runs again: 1 s, doubling, at most 5 minutes apart."""


class AlarmScheduler:
    """Fires the due alarms of one log file through `fire`."""

    def __init__(self, log_file: LogFile, fire: Callable[[AlarmRecord], Awaitable[None]]) -> None:
        self._log_file = log_file
        self._fire = fire
        self._wakeup = asyncio.Event()
        self._running: set[tuple[str, str]] = set()
        self._wake_at = math.inf  # when it looks next at the latest; inf while it is looking
        self._task = asyncio.get_running_loop().create_task(self._run())

    def notify(self, at: float = 0.0) -> None:
        """An alarm was set for `at` (or one finished): look again if sooner than planned."""
        if at < self._wake_at:
            self._wakeup.set()

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            try:
                timeout = await self._fire_due()
            except Exception:
                log.exception("alarm scan of %s failed", self._log_file.path)
                timeout = 1.0
            self._wake_at = time.time() + timeout
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            self._wakeup.clear()
            self._wake_at = math.inf

    async def _fire_due(self) -> float:
        """Starts every due alarm not already running; returns how long to sleep."""
        now = time.time()
        started = False
        for alarm in await self._log_file.due_alarms(now, limit=500):
            ident = (alarm.stream, alarm.name)
            if ident not in self._running:
                self._running.add(ident)
                asyncio.get_running_loop().create_task(self._fire_one(alarm, ident))
                started = True
        if started:
            return 0.0
        next_at = await self._log_file.next_alarm_at(after=now)
        return MAX_SLEEP_S if next_at is None else min(max(next_at - now, 0.0), MAX_SLEEP_S)

    async def _fire_one(self, alarm: AlarmRecord, ident: tuple[str, str]) -> None:
        try:
            await self._fire(alarm)
        except Exception:
            log.exception("alarm %s of %s failed", alarm.name, alarm.stream)
        finally:
            self._running.discard(ident)
            self.notify()


def retry_later(alarm: AlarmRecord, last_seq: int) -> WriteUnit:
    """The alarm again after a failed handler, with capped exponential backoff and jitter."""
    backoff = ALARM_RETRY.backoff(alarm.attempts + 1)
    return WriteUnit(
        alarm.stream,
        last_seq,
        alarms_set={alarm.name: (time.time() + backoff, alarm.attempts + 1)},
        touch=False,
    )
