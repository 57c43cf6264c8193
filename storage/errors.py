"""Errors of the storage layer; both are retryable from the caller's point of view."""

from typing import Any


class StorageError(Exception):
    """Base of every storage failure."""


class ConcurrencyConflict(StorageError):
    """Another writer appended to the stream first: the caller's view was stale."""

    def __init__(self, stream: str, expected_seq: int) -> None:
        super().__init__(f"stream {stream!r} moved past seq {expected_seq}")
        self.stream = stream
        self.expected_seq = expected_seq

    def __reduce__(self) -> tuple[Any, ...]:  # keep it picklable across Ray calls
        return (ConcurrencyConflict, (self.stream, self.expected_seq))


class CommitFailed(StorageError):
    """The transaction holding these writes did not commit; nothing of it is visible."""
