"""Who listens to which topics (ARCHITECTURE §9). Subscriptions live in the bus's state; the
application declares its own (`Application.subscriptions`) and the bus adds them on its first
append."""

from typing import Any

from pydantic import BaseModel, Field, model_validator

BUS_KEY = "bus"
"""The key of the application's event bus object."""


class Subscription(BaseModel):
    """A subscriber: the object (`kind`, `key`) whose `consume` gets the events.

    `kind` is the subscriber kind's name (`DurableObject.kind`). Subscriptions stored before
    kinds were named this way carry `kind_path` (`module:Class`); its class name is kept, and
    the application resolves it (`Application.kind_named`).
    """

    name: str = Field(min_length=1, max_length=80)
    topics: list[str] = Field(min_length=1)
    kind: str = Field(min_length=1, max_length=200)
    key: str
    from_start: bool = True

    @model_validator(mode="before")
    @classmethod
    def _named_by_path(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" not in data and "kind_path" in data:
            data = {**data, "kind": str(data.pop("kind_path")).rpartition(":")[2]}
        return data
