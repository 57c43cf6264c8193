"""The partition map (ARCHITECTURE §13.2): which volume and host serve each partition of each
collection (a host group, or a partitioned kind of its own) and which volume holds each
dedicated object. Versioned by an epoch that grows with every change; pure data.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from durable.placement.layout import LayoutMismatch


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A host process of a collection: its volume and its number on that volume."""

    volume: str
    host: int


@dataclass(frozen=True, slots=True)
class HostSpot:
    """Where a host is: its volume, and its number (partitioned) or object key (dedicated)."""

    volume: str
    host: int | str


@dataclass(frozen=True, slots=True)
class Move:
    """A partition of a collection, or a dedicated object, on its way from one host to
    another (§13.3). For a dedicated object, `collection` is its kind, `partition` its key,
    and the slots' host numbers are 0: its host is named by kind, key and volume.

    `phase` is how far it got: "planned", "released" (the source closed its files; calls on
    it wait), "copied" (the target volume holds the files, fsync'd), "committed" (the map
    names the target: from here on the move only goes forward).
    """

    collection: str
    partition: int | str
    source: Slot
    target: Slot
    phase: str = "planned"
    files: tuple[str, ...] = ()
    """The partition's files (one per kind of the collection), relative to a volume."""
    dedicated: bool = False

    @property
    def copies(self) -> bool:
        """A move between volumes copies the files; one within a volume hands them over."""
        return self.source.volume != self.target.volume

    def to_json(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "partition": self.partition,
            "source": [self.source.volume, self.source.host],
            "target": [self.target.volume, self.target.host],
            "phase": self.phase,
            "files": list(self.files),
            "dedicated": self.dedicated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Move":
        return cls(
            collection=data["collection"],
            partition=data["partition"],
            source=Slot(*data["source"]),
            target=Slot(*data["target"]),
            phase=data["phase"],
            files=tuple(data.get("files", ())),
            dedicated=data.get("dedicated", False),
        )


@dataclass(frozen=True)
class PartitionMap:
    epoch: int = 0
    collections: dict[str, tuple[Slot, ...]] = field(default_factory=dict)
    """Per collection, the slot serving each partition (index = partition number)."""
    dedicated: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per dedicated kind, the volume of each object."""
    move: Move | None = None
    """The move under way, if any (one at a time)."""

    def slot(self, collection: str, partition: int) -> Slot:
        return self.collections[collection][partition]

    def partitions_of(self, collection: str, slot: Slot) -> list[int]:
        return [p for p, s in enumerate(self.collections.get(collection, ())) if s == slot]

    def slots_of(self, collection: str) -> list[Slot]:
        """Every host of the collection that serves at least one partition."""
        return sorted(set(self.collections.get(collection, ())))

    def volume_of(self, kind: str, key: str) -> str | None:
        return self.dedicated.get(kind, {}).get(key)

    def volumes(self) -> list[str]:
        """Every volume that holds something."""
        used = {slot.volume for slots in self.collections.values() for slot in slots}
        used |= {volume for keys in self.dedicated.values() for volume in keys.values()}
        return sorted(used)

    def with_collection(
        self, collection: str, partitions: int, hosts: int, volume: str
    ) -> "PartitionMap":
        """The collection added with its partitions spread over `hosts` hosts of `volume`; a
        collection already mapped is checked against `partitions` and left as it is.

        Raises:
            LayoutMismatch: the collection was mapped with another partition count.
        """
        existing = self.collections.get(collection)
        if existing is not None:
            if len(existing) != partitions:
                raise LayoutMismatch(
                    f"{collection} has {len(existing)} partitions, not {partitions}:"
                    " partition counts never change once data exists"
                )
            return self
        slots = tuple(Slot(volume, p % hosts) for p in range(partitions))
        return self._next(collections={**self.collections, collection: slots})

    def with_dedicated(self, kind: str, key: str, volume: str) -> "PartitionMap":
        """The object placed on `volume` (an object already placed stays where it is)."""
        if self.volume_of(kind, key) is not None:
            return self
        keys = {**self.dedicated.get(kind, {}), key: volume}
        return self._next(dedicated={**self.dedicated, kind: keys})

    def held_from(self, collection: str, slot: Slot) -> list[int]:
        """Partitions this host must neither open nor answer for yet: it is the source of a
        move not yet committed (a host restarted mid-move waits for the move's end)."""
        move = self.move
        moving = move and not move.dedicated and move.collection == collection
        if move and moving and move.source == slot and move.phase != "committed":
            assert isinstance(move.partition, int)
            return [move.partition]
        return []

    def object_held(self, kind: str, key: str, volume: str) -> bool:
        """Whether the dedicated object's host on `volume` is the source of a move not yet
        committed (it waits for the move's end)."""
        move = self.move
        if move is None or not move.dedicated or move.phase == "committed":
            return False
        return (move.collection, move.partition, move.source.volume) == (kind, key, volume)

    def with_move(self, move: Move | None) -> "PartitionMap":
        """The move recorded (or cleared); committing one also hands its partition over."""
        collections, dedicated = self.collections, self.dedicated
        if move is not None and move.phase == "committed" and move.dedicated:
            assert isinstance(move.partition, str)
            keys = {**dedicated[move.collection], move.partition: move.target.volume}
            dedicated = {**dedicated, move.collection: keys}
        elif move is not None and move.phase == "committed":
            assert isinstance(move.partition, int)
            slots = list(collections[move.collection])
            slots[move.partition] = move.target
            collections = {**collections, move.collection: tuple(slots)}
        return self._next(collections=collections, dedicated=dedicated, move=move)

    def _next(self, **changes: Any) -> "PartitionMap":
        return replace(self, epoch=self.epoch + 1, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "collections": {
                name: [[s.volume, s.host] for s in slots]
                for name, slots in self.collections.items()
            },
            "dedicated": self.dedicated,
            "move": self.move.to_json() if self.move else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PartitionMap":
        return cls(
            epoch=data["epoch"],
            collections={
                name: tuple(Slot(volume, host) for volume, host in slots)
                for name, slots in data["collections"].items()
            },
            dedicated={kind: dict(keys) for kind, keys in data["dedicated"].items()},
            move=Move.from_json(data["move"]) if data.get("move") else None,
        )
