"""The root of every business refusal; each has a stable code the HTTP layer maps."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class DomainError(Exception):
    """A business rule said no. Terminal: retrying the same call gives the same answer."""

    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __reduce__(self) -> tuple[Any, ...]:  # picklable with details, across Ray and in logs
        return (_rebuild, (type(self), self.message, self.details))


def _rebuild(cls: type[DomainError], message: str, details: dict[str, Any]) -> DomainError:
    error = cls.__new__(cls)
    DomainError.__init__(error, message, **details)
    return error


class InvalidInput(DomainError):
    """A value failed validation where it entered the domain (`details["errors"]`)."""

    code = "invalid_input"


def parse(model: type[M], data: Any) -> M:
    """Validates `data` as `model`, turning pydantic's error into a business refusal."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        raise InvalidInput(f"invalid {model.__name__}", errors=errors) from None
