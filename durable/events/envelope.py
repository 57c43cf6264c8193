"""What the bus carries to subscribers (ARCHITECTURE §9)."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class Envelope(BaseModel):
    """One published event. `causation_id` is the idempotency key of the call that produced
    it (a saga step's key, a client's key), `source` the producing object (`kind:key`)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    type: str
    topic: str
    at: float
    source: str
    correlation_id: str | None = None
    causation_id: str | None = None
    payload: dict[str, Any]
