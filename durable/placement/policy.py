"""Where an object lives (ARCHITECTURE §3): which file holds it and which host runs it."""

import re
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from durable.placement.partition_map import HostSpot, Move, Slot

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass(frozen=True, slots=True)
class Partitioned:
    """Keys hash to one of `partitions` fixed files; the partition map says which host of
    which volume serves each (`durable.placement.partition_map`).

    `partitions` is fixed when a kind's first file is made; `hosts` is how many hosts a new
    collection starts with (`rayshop scale` changes it later). Kinds naming the same `group`
    share host processes (`<group>-<n>@<volume>`) and one map entry: partition p of every
    kind of the group lives in one process, so calls between those objects skip Ray, and the
    group's kinds must have the same partition count.
    """

    partitions: int = 16
    hosts: int = 2
    group: str | None = None

    def partition_of(self, key: str) -> int:
        return zlib.crc32(routing_part(key).encode()) % self.partitions


def routing_part(key: str) -> str:
    """What a key is hashed by: the part in its first `{...}`, if any, else the whole key.

    A hash tag, as in Redis Cluster: keys sharing a tag share a partition number, so objects
    made for one another (`co-{cart-7}`, `ord-co-{cart-7}`) and the object `cart-7` itself
    land on the same host of a group.
    """
    start = key.find("{")
    end = key.find("}", start + 1)
    if start >= 0 and end > start + 1:
        return key[start + 1 : end]
    return key


@dataclass(frozen=True, slots=True)
class Dedicated:
    """Each object gets its own host and its own file."""


Placement = Partitioned | Dedicated


def effective(
    placement: Placement,
    kind: str,
    hosts: dict[str, int],
    partitions: dict[str, int] | None = None,
) -> Placement:
    """The kind's placement with the host and partition counts the deployment asks for (by
    group, if the kind has one)."""
    if not isinstance(placement, Partitioned):
        return placement
    name = placement.group or kind
    if name in hosts:
        placement = replace(placement, hosts=hosts[name])
    if partitions and name in partitions:
        placement = replace(placement, partitions=partitions[name])
    return placement


def host_label(placement: Placement, kind: str) -> str:
    """What a partitioned kind's host names start with: its group, or the kind itself."""
    return (placement.group if isinstance(placement, Partitioned) else None) or kind


def safe_name(key: str) -> str:
    """A file- and actor-name-safe spelling of a key; distinct keys stay distinct."""
    if _SAFE.match(key) and not key.startswith("."):
        return key
    return "x-" + key.encode().hex()[:120] + f"-{zlib.crc32(key.encode()):08x}"


def partition_file(volume: Path | str, kind: str, partition: int) -> Path:
    """The file of a partition, in the directory of the volume that holds it."""
    return Path(volume) / kind / f"p{partition:03d}.sqlite"


def dedicated_file(volume: Path | str, kind: str, key: str) -> Path:
    return Path(volume) / kind / f"{safe_name(key)}.sqlite"


KEY_SUFFIX = ".key"
"""Beside a dedicated file whose name is not its key (a hex spelling): the key itself."""


def remember_dedicated_key(volume: Path | str, kind: str, key: str) -> None:
    """Makes `key` findable from its file's name alone (see `stored_dedicated_keys`)."""
    path = dedicated_file(volume, kind, key)
    if path.stem == key:
        return
    sidecar = path.with_suffix(KEY_SUFFIX)
    if not sidecar.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = sidecar.with_suffix(f".{zlib.crc32(key.encode()):08x}.tmp")
        temporary.write_text(key)
        temporary.replace(sidecar)


def stored_dedicated_keys(volume: Path | str, kind: str) -> list[str]:
    """The keys of every dedicated object of `kind` with a file on the volume."""
    folder = Path(volume) / kind
    if not folder.is_dir():
        return []
    keys = []
    for path in sorted(folder.glob("*.sqlite")):
        sidecar = path.with_suffix(KEY_SUFFIX)
        keys.append(sidecar.read_text() if sidecar.exists() else path.stem)
    return keys


def host_name(placement: Placement, kind: str, spot: HostSpot) -> str:
    """The Ray actor name of a host: `shop-1@v0` (host 1 of group shop on volume v0) or
    `warehouse-jkt@v0`; an operator reads collection, volume and object from the actor list."""
    if isinstance(placement, Partitioned):
        assert isinstance(spot.host, int)
        return host_of_slot(host_label(placement, kind), Slot(spot.volume, spot.host))
    assert isinstance(spot.host, str)
    return dedicated_host_name(kind, spot.host, spot.volume)


def host_of_slot(collection: str, slot: Slot) -> str:
    """The actor name of the host of `collection` in `slot`."""
    return f"{collection}-{slot.host}@{slot.volume}"


def dedicated_host_name(kind: str, key: str, volume: str) -> str:
    return f"{kind}-{safe_name(key)}@{volume}"


def move_host_name(move: Move, slot: Slot) -> str:
    """The name of the host at one end of a move."""
    if move.dedicated:
        assert isinstance(move.partition, str)
        return dedicated_host_name(move.collection, move.partition, slot.volume)
    return host_of_slot(move.collection, slot)
