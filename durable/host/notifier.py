"""The one way, in a host process, to wait for something to happen and to say that it did
(a saga settled, an external event reached a saga, the bus has new events to deliver).

A listener registers before it looks at the state it waits on, so a wake-up that comes
between its look and its wait is never lost; one that comes while nobody listens is simply
not needed. Waking carries no data: the woken side reads the state again, through its
object's gates, so what it acts on is always committed state.
"""

import asyncio
import contextlib
from collections.abc import Iterator

Topic = tuple[str, ...]


class Notifier:
    def __init__(self) -> None:
        self._listeners: dict[Topic, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def listening(self, *topic: str) -> Iterator[asyncio.Event]:
        """An event set by every `notify(*topic)` while the block runs; clear it before each
        look at the state, then wait on it."""
        event = asyncio.Event()
        listeners = self._listeners.setdefault(topic, set())
        listeners.add(event)
        try:
            yield event
        finally:
            listeners.discard(event)
            if not listeners:
                self._listeners.pop(topic, None)

    def notify(self, *topic: str) -> None:
        for event in self._listeners.get(topic, ()):
            event.set()


async def woken(event: asyncio.Event, timeout_s: float) -> bool:
    """Waits until `event` is set or `timeout_s` passes; True if it was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout_s)
    return event.is_set()


notifier = Notifier()
"""This process's notifier: a host is a process, so every object it runs shares it."""
