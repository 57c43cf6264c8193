"""Calls from inside a host to one of its own objects, through the same gates as remote calls.

Background work an object spawned (a saga's driver) uses it to record its progress: each
call is short and durable, and other calls on the object get their turn in between.
"""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from durable.client.calls import Call, Reply

if TYPE_CHECKING:
    from durable.context import CallContext

Invoke = Callable[[Call], Awaitable[Reply]]
P = ParamSpec("P")
R = TypeVar("R")


class LocalRef:
    def __init__(self, invoke: Invoke, key: str, correlation_id: str | None) -> None:
        self._invoke = invoke
        self.key = key
        self.correlation_id = correlation_id

    async def call(
        self,
        method: Callable[Concatenate[Any, "CallContext", P], Awaitable[R]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """Calls `method` (of this object's kind) on this object, as a stub would."""
        call = Call(self.key, method.__name__, args, kwargs, None, False, self.correlation_id)
        reply = await self._invoke(call)
        if not reply.ok:
            raise reply.value
        result: R = reply.value
        return result
