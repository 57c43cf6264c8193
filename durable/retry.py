"""The one retry policy of the runtime (ARCHITECTURE §5.1): attempts, capped exponential
backoff with jitter, a timeout per try. Saga steps, stubs, the outbox relay, event delivery
and failed alarms all wait by it, each with its own figures."""

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    first_backoff_s: float = 0.05
    max_backoff_s: float = 2.0
    timeout_s: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1 for the first): doubling from
        `first_backoff_s` up to `max_backoff_s`, each wait drawn from its upper half so that
        callers failing together do not retry together."""
        ceiling = min(self.max_backoff_s, self.first_backoff_s * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


DEFAULT_POLICY = RetryPolicy()
"""A saga step's, unless the saga names its own."""
COMPENSATION_ATTEMPTS = 6
"""Tries of a compensation before its saga is stuck (an admin retries it)."""
