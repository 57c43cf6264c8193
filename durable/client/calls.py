"""The wire format between stubs and hosts: small tuples, cheap to pickle in batches."""

from typing import Any, NamedTuple


class Call(NamedTuple):
    """One method call on one object.

    `fresh_key` says the stub made `idempotency_key` up for this very attempt, so no earlier
    result can exist and the host may skip looking it up.
    """

    key: str
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    idempotency_key: str | None
    fresh_key: bool
    correlation_id: str | None


class Reply(NamedTuple):
    ok: bool
    value: Any
