"""Answers a repeated call with its first answer (ARCHITECTURE §1.4).

Results live in the log file with the call's writes; this cache keeps the recent ones and the
ones still waiting for their commit, so a quick retry costs no read. Neither does a key the
cache does not know on an object none of whose results the cache has missed: a saga's step
on the order it just created, say.
"""

import asyncio
import contextlib
import pickle
from collections import OrderedDict
from collections.abc import Callable

from durable.client.calls import Reply
from durable.host.residency import Resident
from storage import LogFile


class IdempotencyCache:
    """Args:
    forgotten: told the object key whose result the cache lets go, to make room.
    """

    def __init__(self, forgotten: Callable[[str], None], capacity: int = 10_000) -> None:
        self._forgotten = forgotten
        self._capacity = capacity
        self._pending: dict[str, tuple[asyncio.Future[None], Reply]] = {}
        self._recent: OrderedDict[str, tuple[Reply, str]] = OrderedDict()

    async def recall(
        self, key: str, resident: Resident, *, fresh: bool, log_file: LogFile
    ) -> Reply | None:
        """The first answer given for `key` on `resident`, or None if the call has not
        happened yet."""
        pending = self._pending.get(key)
        if pending is not None:
            commit, reply = pending
            with contextlib.suppress(Exception):
                await commit
                return reply
            return None  # the first attempt's writes were lost: run it again
        recent = self._recent.get(key)
        if recent is not None:
            return recent[0]
        if fresh or not resident.results_unseen:
            return None
        stored = await log_file.lookup_result(key)
        if stored is None:
            return None
        reply = Reply(*pickle.loads(stored))
        self._remember(key, reply, resident.obj.key)
        return reply

    def begin(self, key: str, commit: asyncio.Future[None], reply: Reply, stream: str) -> None:
        """`reply` is the answer for `key` (a call on the object `stream`) once `commit`
        succeeds."""
        self._pending[key] = (commit, reply)

        def settle(done: asyncio.Future[None]) -> None:
            self._pending.pop(key, None)
            if not done.cancelled() and done.exception() is None:
                self._remember(key, reply, stream)

        commit.add_done_callback(settle)

    def _remember(self, key: str, reply: Reply, stream: str) -> None:
        self._recent[key] = (reply, stream)
        if len(self._recent) > self._capacity:
            _, (_, stream_let_go) = self._recent.popitem(last=False)
            self._forgotten(stream_let_go)


def encode(reply: Reply) -> bytes:
    return pickle.dumps(tuple(reply), protocol=pickle.HIGHEST_PROTOCOL)
