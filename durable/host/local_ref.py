"""Calls from inside a host to one of its own objects, through the same gates as remote calls.

Background work an object spawned (a saga's driver) uses it to record its progress: each
call is short and durable, and other calls on the object get their turn in between.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from durable.client.calls import Call, Reply

Invoke = Callable[[Call], Awaitable[Reply]]


class LocalRef:
    def __init__(self, invoke: Invoke, key: str, correlation_id: str | None) -> None:
        self._invoke = invoke
        self.key = key
        self.correlation_id = correlation_id

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        reply = await self._invoke(
            Call(self.key, method, args, kwargs, None, False, self.correlation_id)
        )
        if not reply.ok:
            raise reply.value
        return reply.value
