"""Runtime settings, read from the environment once by whoever creates hosts."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from durable.placement.volumes import HOME_VOLUME, check_volume_name


@dataclass(frozen=True)
class RuntimeConfig:
    """What every host of a deployment must agree on; passed to hosts when they are created.

    Attributes:
        state_dir: where the log files live (absolute, so every process means the same place).
        synchronous: SQLite `synchronous` pragma; FULL makes every commit an fsync.
        idle_seconds: an object untouched this long is passivated.
        snapshot_every: events between snapshots of an object.
        idempotency_days: how long call results are kept for retries.
        hosts: host count per partitioned kind or host group, overriding the kind's default
            (scale out on a cluster; partitions never change).
        partitions: partition count per partitioned kind or host group, overriding the kind's
            default; fixed once the kind has files (more partitions allow more hosts, fewer
            batch more writes per commit).
        home_volume: the volume that holds the partition map and where new collections and
            dedicated objects start (ARCHITECTURE §13.1).
        handoff_timeout_s: how long a partition's move waits for the calls running on it
            before the move is called off (§13.3).
        replica_lease_s: how long a host process may answer a kind's `replica_queries` from
            its copy of an object without hearing from the object's host (0: no copies). A
            write waits at most this long for a follower that cannot be reached.
    """

    state_dir: str
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    idle_seconds: float = 300.0
    snapshot_every: int = 100
    idempotency_days: float = 7.0
    hosts: dict[str, int] = field(default_factory=dict)
    partitions: dict[str, int] = field(default_factory=dict)
    home_volume: str = HOME_VOLUME
    handoff_timeout_s: float = 30.0
    replica_lease_s: float = 2.0

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
            hosts=parse_counts(os.environ.get("RAYSHOP_HOSTS", ""), "RAYSHOP_HOSTS"),
            partitions=parse_counts(os.environ.get("RAYSHOP_PARTITIONS", ""), "RAYSHOP_PARTITIONS"),
            home_volume=check_volume_name(os.environ.get("RAYSHOP_HOME_VOLUME", HOME_VOLUME)),
            replica_lease_s=float(os.environ.get("RAYSHOP_REPLICA_LEASE_S", "2")),
        )


def parse_counts(spec: str, setting: str = "RAYSHOP_HOSTS") -> dict[str, int]:
    """`"shop=2,warehouse=1"` -> {"shop": 2, "warehouse": 1} (kinds or host groups)."""
    hosts: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kind, _, count = item.partition("=")
        if not kind.strip() or not count.isdigit() or int(count) < 1:
            raise ValueError(f"{setting}: {item!r} is not name=count")
        hosts[kind.strip()] = int(count)
    return hosts
