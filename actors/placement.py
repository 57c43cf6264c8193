"""Where an object lives (ARCHITECTURE §3): which file holds it and which host runs it."""

import re
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass(frozen=True, slots=True)
class Partitioned:
    """Keys hash to one of `partitions` fixed files, spread over `hosts` host actors.

    `partitions` must never change once data exists; `hosts` may.
    """

    partitions: int = 16
    hosts: int = 2

    def partition_of(self, key: str) -> int:
        return zlib.crc32(key.encode()) % self.partitions

    def host_of(self, partition: int) -> int:
        return partition % self.hosts

    def partitions_of_host(self, host: int) -> list[int]:
        return [p for p in range(self.partitions) if self.host_of(p) == host]


@dataclass(frozen=True, slots=True)
class Dedicated:
    """Each object gets its own host and its own file."""


Placement = Partitioned | Dedicated


def effective(placement: Placement, kind: str, hosts: dict[str, int]) -> Placement:
    """The kind's placement with the host count the deployment asks for."""
    if isinstance(placement, Partitioned) and kind in hosts:
        return replace(placement, hosts=hosts[kind])
    return placement


def safe_name(key: str) -> str:
    """A file- and actor-name-safe spelling of a key; distinct keys stay distinct."""
    if _SAFE.match(key) and not key.startswith("."):
        return key
    return "x-" + key.encode().hex()[:120] + f"-{zlib.crc32(key.encode()):08x}"


def partition_file(state_dir: str, kind: str, partition: int) -> Path:
    return Path(state_dir) / kind / f"p{partition:03d}.sqlite"


def dedicated_file(state_dir: str, kind: str, key: str) -> Path:
    return Path(state_dir) / kind / f"{safe_name(key)}.sqlite"


def partitioned_host_name(kind: str, host: int) -> str:
    return f"{kind}-host-{host}"


def dedicated_host_name(kind: str, key: str) -> str:
    return f"{kind}-{safe_name(key)}"
