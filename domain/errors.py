"""The root of every business refusal; each has a stable code the HTTP layer maps."""

from typing import Any


class DomainError(Exception):
    """A business rule said no. Terminal: retrying the same call gives the same answer."""

    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __reduce__(self):  # picklable with its details, across Ray calls and in the log
        return (_rebuild, (type(self), self.message, self.details))


def _rebuild(cls: type[DomainError], message: str, details: dict[str, Any]) -> DomainError:
    error = cls.__new__(cls)
    DomainError.__init__(error, message, **details)
    return error
