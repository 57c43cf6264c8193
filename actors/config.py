"""Runtime settings, read from the environment once by whoever creates hosts."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

NAMESPACE = "rayshop"


@dataclass(frozen=True, slots=True)
class RuntimeConfig:
    """What every host of a deployment must agree on; passed to hosts when they are created.

    Attributes:
        state_dir: where the log files live (absolute, so every process means the same place).
        synchronous: SQLite `synchronous` pragma; FULL makes every commit an fsync.
        idle_seconds: an object untouched this long is passivated.
        snapshot_every: events between snapshots of an object.
        idempotency_days: how long call results are kept for retries.
    """

    state_dir: str
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    idle_seconds: float = 300.0
    snapshot_every: int = 100
    idempotency_days: float = 7.0

    @classmethod
    def from_env(cls) -> "RuntimeConfig":
        synchronous = os.environ.get("RAYSHOP_SYNCHRONOUS", "FULL").upper()
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"RAYSHOP_SYNCHRONOUS must be FULL or NORMAL, not {synchronous!r}")
        return cls(
            state_dir=str(Path(os.environ.get("RAYSHOP_STATE_DIR", "./var")).resolve()),
            synchronous=synchronous,  # type: ignore[arg-type]
            idle_seconds=float(os.environ.get("RAYSHOP_IDLE_SECONDS", "300")),
            snapshot_every=int(os.environ.get("RAYSHOP_SNAPSHOT_EVERY", "100")),
        )
