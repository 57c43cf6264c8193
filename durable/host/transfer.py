"""Copying a closed log file from one volume to another (ARCHITECTURE §13.3): read in chunks
by the source host, pulled through Ray's object store by the target host, written beside the
final name, checked against the source's digest, fsync'd, then renamed into place."""

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from durable.errors import RuntimeFault

CHUNK_BYTES = 4 * 1024 * 1024
SQLITE_SIDE_FILES = ("-wal", "-shm")


class TransferFailed(RuntimeFault):
    code = "transfer_failed"


def file_digest(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file (a missing file: a partition never written, size 0)."""
    if not path.exists():
        return 0, ""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()


def read_chunk(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as source:
        source.seek(offset)
        return source.read(size)


async def receive(
    path: Path, size: int, sha256: str, pull: Callable[[int, int], Awaitable[bytes]]
) -> None:
    """Makes `path` a copy of the source's file, durably, or raises and leaves it untouched."""
    incoming = path.with_name(path.name + ".incoming")
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with incoming.open("wb") as target:
        offset = 0
        while offset < size:
            chunk = await pull(offset, min(CHUNK_BYTES, size - offset))
            if not chunk:
                raise TransferFailed(f"{path.name}: the source's file ended at byte {offset}")
            await asyncio.to_thread(target.write, chunk)
            digest.update(chunk)
            offset += len(chunk)
        await asyncio.to_thread(_sync, target.fileno())
    if digest.hexdigest() != sha256:
        incoming.unlink()
        raise TransferFailed(f"{path.name}: the copy's checksum differs from the source's")
    for suffix in SQLITE_SIDE_FILES:  # a stale WAL would be replayed into the new file
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    incoming.replace(path)
    _sync_dir(path.parent)


def discard(path: Path) -> None:
    """Removes a copy that a called-off move left on the target volume."""
    for name in (path.name + ".incoming", path.name, *(path.name + s for s in SQLITE_SIDE_FILES)):
        (path.parent / name).unlink(missing_ok=True)
    _sync_dir(path.parent)


def set_aside(path: Path, epoch: int) -> None:
    """The source's copy after a move: renamed, never opened again (fenced by the epoch that
    moved it), kept for an operator to remove."""
    if path.exists():
        path.replace(path.with_name(f"{path.name}.moved-e{epoch}"))
        _sync_dir(path.parent)


def _sync(fd: int) -> None:
    os.fsync(fd)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
