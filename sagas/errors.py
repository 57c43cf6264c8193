"""How a step can fail: terminal (a DomainError, a business answer: compensate) or retryable
(anything else: a provider timing out, a host restarting; tried again)."""

from domain.errors import DomainError


class StepFailed(Exception):
    """A step failed for good; the saga compensates what it did."""

    def __init__(self, step: str, code: str, message: str) -> None:
        super().__init__(f"{step} failed: {message}")
        self.step = step
        self.code = code
        self.message = message


class ReplayEnded(Exception):
    """Compensation replays the saga to learn its compensations; it never runs a new step."""


def is_terminal(error: BaseException) -> bool:
    return isinstance(error, DomainError)


def error_code(error: BaseException) -> str:
    return getattr(error, "code", type(error).__name__)
