"""The correlation id of the request being served, carried by every call it causes."""

import contextvars

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "rayshop_correlation_id", default=None
)
