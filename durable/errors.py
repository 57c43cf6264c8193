"""Errors of the object runtime, and the one error the runtime never retries."""

from abc import ABCMeta
from typing import Any


class TerminalError(Exception, metaclass=ABCMeta):
    """A refusal that retrying cannot change: a host answers it at once instead of retrying,
    a saga step that raises it fails for good and the saga compensates.

    An application whose own error root must not depend on the runtime (a pure domain layer)
    registers it instead of subclassing: `TerminalError.register(DomainError)`. The runtime
    therefore tests `isinstance(error, TerminalError)`; an `except TerminalError` clause
    would not see registered classes. Every terminal error carries a stable `code` and a
    `message` fit for the caller.
    """

    code = "terminal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __reduce__(self) -> tuple[Any, ...]:  # picklable with details, across Ray
        return (_rebuild, (type(self), self.message, self.details))


def _rebuild(cls: type[TerminalError], message: str, details: dict[str, Any]) -> TerminalError:
    return cls(message, **details)


def is_terminal(error: BaseException) -> bool:
    return isinstance(error, TerminalError)


class RuntimeFault(Exception):
    """Base of the runtime's own errors; all picklable so they cross Ray calls."""

    code = "runtime_fault"


class UnknownMethod(RuntimeFault):
    code = "unknown_method"

    def __init__(self, kind: str, method: str) -> None:
        super().__init__(f"{kind} has no callable method {method!r}")
        self.kind = kind
        self.method = method

    def __reduce__(self) -> tuple[Any, ...]:
        return (UnknownMethod, (self.kind, self.method))


class UnknownKind(RuntimeFault):
    """A name that no kind of the application answers to."""

    code = "unknown_kind"


class WrongHost(RuntimeFault):
    """The key belongs to a partition this host does not hold (placement changed)."""

    code = "wrong_host"


class HostUnavailable(RuntimeFault):
    """The object's host did not come back within the stub's retry deadline."""

    code = "host_unavailable"
