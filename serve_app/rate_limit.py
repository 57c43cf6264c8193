"""A fixed-window request limit per client, kept in each gateway replica (with N replicas a
client gets up to N times the limit; the limit is a guard, not a quota)."""

import math
import time


class RateLimiter:
    def __init__(self, limit: int, window_s: float) -> None:
        self._limit, self._window_s = limit, window_s
        self._counts: dict[str, tuple[int, int]] = {}

    def check(self, client: str) -> float | None:
        """None if the request may go on, else the seconds until it may."""
        now = time.monotonic()
        window = int(now // self._window_s)
        start, count = self._counts.get(client, (window, 0))
        if start != window:
            start, count = window, 0
        if count >= self._limit:
            return (start + 1) * self._window_s - now
        self._counts[client] = (start, count + 1)
        if len(self._counts) > 100_000:
            self._counts = {c: v for c, v in self._counts.items() if v[0] == window}
        return None

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))
