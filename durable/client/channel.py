"""Coalesces concurrent calls to one host's objects of one kind into batched Ray calls.

A call goes out at once when fewer than `max_in_flight` Ray calls to the host are pending;
otherwise it waits for one of them and leaves with everything queued behind it. At rest this
adds no latency; under load it turns many small Ray calls into a few large ones, which is
where Ray's per-call overhead goes.
"""

import asyncio
from typing import Any

from durable.client.calls import Call, Reply

Pending = tuple[Call, asyncio.Future[Reply]]


class HostChannel:
    def __init__(
        self, handle: Any, kind: str, *, max_in_flight: int = 1, max_batch: int = 512
    ) -> None:
        self._handle = handle
        self._kind = kind
        self._max_in_flight = max_in_flight
        self._max_batch = max_batch
        self._queue: list[Pending] = []
        self._in_flight = 0

    async def send(self, call: Call) -> Reply:
        """Runs `call` on the host; raises Ray's actor errors if the host died meanwhile."""
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._queue.append((call, future))
        self._pump()
        return await future

    def _pump(self) -> None:
        while self._queue and self._in_flight < self._max_in_flight:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            self._in_flight += 1
            asyncio.get_running_loop().create_task(self._send(batch))

    async def _send(self, batch: list[Pending]) -> None:
        try:
            if len(batch) == 1:
                replies = [await self._handle.call.remote(self._kind, batch[0][0])]
            else:
                calls = [call for call, _ in batch]
                replies = await self._handle.call_batch.remote(self._kind, calls)
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, future), reply in zip(batch, replies, strict=True):
                if not future.done():
                    future.set_result(Reply(*reply))
        finally:
            self._in_flight -= 1
            self._pump()
