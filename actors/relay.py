"""The outbox relay (ARCHITECTURE §1.3, §9): moves each file's outbox to the event bus.

Woken by every commit that wrote to an outbox (and once at start, for what a crash left),
it sends the file's pending messages to the bus in id order, then drops them from the
outbox. The bus remembers the highest id taken per file, so sending again after a crash
between those two steps adds nothing twice. While the bus is down the relay keeps trying,
with backoff; the messages wait safely in the outbox.
"""

import asyncio
import logging
from pathlib import Path
from typing import Any

from actors import bus_metrics
from actors.kind import load_kind
from actors.subscriptions import BUS_KEY
from storage import LogFile

log = logging.getLogger(__name__)

BUS_PATH = "actors.event_bus:EventBus"
BATCH = 1000


class OutboxRelay:
    def __init__(self, files: dict[Any, LogFile], paths: dict[Any, str], config: Any) -> None:
        self._config = config
        self._tasks: list[asyncio.Task[None]] = []
        self._wakeups: dict[Any, asyncio.Event] = {}
        loop = asyncio.get_running_loop()
        for file_key, log_file in files.items():
            origin = str(Path(paths[file_key]).relative_to(config.state_dir))
            wakeup = self._wakeups[file_key] = asyncio.Event()
            wakeup.set()
            self._tasks.append(loop.create_task(self._relay(origin, log_file, wakeup)))

    def wake(self, file_key: Any) -> None:
        self._wakeups[file_key].set()

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def _relay(self, origin: str, log_file: LogFile, wakeup: asyncio.Event) -> None:
        backoff = 0.05
        while True:
            await wakeup.wait()
            wakeup.clear()
            try:
                while messages := await log_file.unpublished(BATCH):
                    await self._bus().append(origin=origin, messages=messages)
                    await log_file.forget_published(messages[-1][0])
                    bus_metrics.relayed(origin, len(messages))
                backoff = 0.05
            except Exception as exc:
                log.warning("relay of %s to the event bus failed, retrying: %r", origin, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                wakeup.set()

    def _bus(self) -> Any:
        from actors.stub import KindClient  # the stub imports the host, which imports this

        return KindClient.shared(load_kind(BUS_PATH), self._config).get(BUS_KEY)
