"""Retry policy of a step (ARCHITECTURE §5.1): attempts, backoff with jitter, a timeout per try."""

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    first_backoff_s: float = 0.05
    max_backoff_s: float = 2.0
    timeout_s: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff before attempt `attempt + 1`."""
        ceiling = min(self.max_backoff_s, self.first_backoff_s * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


DEFAULT_POLICY = RetryPolicy()
COMPENSATION_ATTEMPTS = 6
