"""How a step can fail: terminal (a `TerminalError`, a business answer: compensate) or
retryable (anything else: a provider timing out, a host restarting; tried again)."""

from durable.errors import TerminalError


class StepFailed(Exception):
    """A step failed for good; the saga compensates what it did."""

    def __init__(self, step: str, code: str, message: str) -> None:
        super().__init__(f"{step} failed: {message}")
        self.step = step
        self.code = code
        self.message = message


class ReplayEnded(Exception):
    """Compensation replays the saga to learn its compensations; it never runs a new step."""


UNAVAILABLE = "unavailable"


def public_failure(step: str, error: BaseException) -> tuple[str, str]:
    """The code and sentence a failed step leaves in the saga, the order and the client's
    answer. A business refusal speaks for itself; anything else (a storage error, a bug, a
    provider that never answered) is a stable code and a plain sentence: its details belong
    in the logs and the saga's timeline, under the request's correlation id."""
    if isinstance(error, TerminalError):
        return error.code, error.message
    return UNAVAILABLE, f"{step.replace('_', ' ')} did not go through; please try again later"
