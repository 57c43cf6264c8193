"""The outbox relay (ARCHITECTURE §1.3, §9): moves the outboxes of a host's files to the
event bus.

Woken by every commit that wrote to an outbox (and once at start, for what a crash left),
it lingers a moment so that one bus call carries what many commits wrote, sends each file's
new messages in id order, and then lets the file drop them with its next commit. The bus
remembers the highest id it took per file, so whatever is sent twice (after a crash, or
before the drop is committed) is added once. While the bus is down the relay keeps trying
with backoff; the messages wait safely in the outboxes.
"""

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from durable.events import metrics as bus_metrics
from durable.events.subscriptions import BUS_KEY
from durable.retry import RetryPolicy
from storage import LogFile

if TYPE_CHECKING:
    from durable.client.objects import Objects
    from durable.client.stub import ObjectStub
    from durable.events.bus import EventBus

log = logging.getLogger(__name__)

BATCH = 1000
LINGER_S = 0.1
RELAY_RETRY = RetryPolicy(first_backoff_s=0.05, max_backoff_s=2.0)
"""Waits while the bus does not take the outbox (the messages stay safe in the files)."""


class OutboxRelay:
    def __init__(
        self, files: dict[Any, LogFile], paths: dict[Any, str], objects: "Objects"
    ) -> None:
        self._objects = objects
        self._files = files
        self._origins = {key: origin_of(path) for key, path in paths.items()}
        self._sent: dict[Any, int] = dict.fromkeys(files, 0)
        self._woken: set[Any] = set(files)
        self._wakeup = asyncio.Event()
        self._wakeup.set()
        self._task = asyncio.get_running_loop().create_task(self._relay())

    def wake(self, file_key: Any) -> None:
        self._woken.add(file_key)
        self._wakeup.set()

    def add(self, file_key: Any, path: str) -> None:
        """A file this host took over (its outbox may hold what the last host never sent;
        the bus drops what it has seen from the file's origin before)."""
        self._origins[file_key] = origin_of(path)
        self._sent[file_key] = 0
        self.wake(file_key)

    def remove(self, file_key: Any) -> None:
        """A file this host handed off."""
        self._origins.pop(file_key, None)
        self._sent.pop(file_key, None)
        self._woken.discard(file_key)

    def stop(self) -> None:
        self._task.cancel()

    async def _relay(self) -> None:
        failures = 0
        while True:
            await self._wakeup.wait()
            await asyncio.sleep(LINGER_S)
            self._wakeup.clear()
            woken, self._woken = self._woken, set()
            try:
                while woken:
                    woken = await self._send(woken)
                failures = 0
            except Exception as exc:
                log.warning("relay to the event bus failed, retrying: %r", exc)
                self._woken |= woken
                failures += 1
                await asyncio.sleep(RELAY_RETRY.backoff(failures))
                self._wakeup.set()

    async def _send(self, woken: set[Any]) -> set[Any]:
        """Sends one round; returns the files that have more to send."""
        woken = woken & self._files.keys()  # a file handed off meanwhile is another's to send
        pages = await asyncio.gather(
            *(self._files[key].unpublished(after=self._sent[key], limit=BATCH) for key in woken)
        )
        batches = {key: page for key, page in zip(woken, pages, strict=True) if page}
        if not batches:
            return set()
        from durable.events.bus import EventBus  # the bus's clients import the host, and this

        await self._bus().call(
            EventBus.append_all,
            batches=[(self._origins[key], page) for key, page in batches.items()],
        )
        for key, page in batches.items():
            if key not in self._files:
                continue
            self._sent[key] = page[-1][0]
            self._files[key].forget_published(page[-1][0])
            bus_metrics.relayed(self._origins[key], len(page))
        return {key for key, page in batches.items() if len(page) == BATCH}

    def _bus(self) -> "ObjectStub[EventBus]":
        from durable.events.bus import EventBus  # the bus's clients import the host, and this

        return self._objects(EventBus).get(BUS_KEY)


def origin_of(path: str) -> str:
    """What the bus knows a file's outbox by: `cart/p003.sqlite`, the same on every volume the
    partition is ever moved to (the bus drops what it has seen from an origin before)."""
    file = Path(path)
    return f"{file.parent.name}/{file.name}"
