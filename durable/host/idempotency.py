"""Answers a repeated call with its first answer (ARCHITECTURE §1.4).

Results live in the log file with the call's writes; this cache keeps the recent ones and the
ones still waiting for their commit, so a quick retry costs no read.
"""

import asyncio
import contextlib
import pickle
from collections import OrderedDict

from durable.client.calls import Reply
from storage import LogFile


class IdempotencyCache:
    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._pending: dict[str, tuple[asyncio.Future[None], Reply]] = {}
        self._recent: OrderedDict[str, Reply] = OrderedDict()

    async def recall(self, key: str, *, fresh: bool, log_file: LogFile) -> Reply | None:
        """The first answer given for `key`, or None if the call has not happened yet."""
        pending = self._pending.get(key)
        if pending is not None:
            commit, reply = pending
            with contextlib.suppress(Exception):
                await commit
                return reply
            return None  # the first attempt's writes were lost: run it again
        if key in self._recent:
            return self._recent[key]
        if fresh:
            return None
        stored = await log_file.lookup_result(key)
        if stored is None:
            return None
        reply = Reply(*pickle.loads(stored))
        self._remember(key, reply)
        return reply

    def begin(self, key: str, commit: asyncio.Future[None], reply: Reply) -> None:
        """`reply` is the answer for `key` once `commit` succeeds."""
        self._pending[key] = (commit, reply)

        def settle(done: asyncio.Future[None]) -> None:
            self._pending.pop(key, None)
            if not done.cancelled() and done.exception() is None:
                self._remember(key, reply)

        commit.add_done_callback(settle)

    def _remember(self, key: str, reply: Reply) -> None:
        self._recent[key] = reply
        if len(self._recent) > self._capacity:
            self._recent.popitem(last=False)


def encode(reply: Reply) -> bytes:
    return pickle.dumps(tuple(reply), protocol=pickle.HIGHEST_PROTOCOL)
