"""Plans for `rayshop scale` and `rayshop rebalance` (ARCHITECTURE §13.3): the fewest
partition moves that reach an even spread; pure, so a dry run shows exactly what will move."""

from collections import Counter
from dataclasses import dataclass
from typing import TypeVar

from durable.placement.partition_map import PartitionMap, Slot

T = TypeVar("T")
K = TypeVar("K", int, str)


@dataclass(frozen=True, slots=True)
class Step:
    """One partition of a collection moving to `target`; or, if `dedicated`, one object of
    the kind `collection` (its key in `partition`) moving to the volume of `target`."""

    collection: str
    partition: int | str
    source: Slot
    target: Slot
    dedicated: bool = False


def even_shares(total: int, parts: int) -> list[int]:
    """`total` split into `parts` shares that differ by at most one, larger first."""
    base, extra = divmod(total, parts)
    return [base + 1 if n < extra else base for n in range(parts)]


def scale_plan(current: PartitionMap, collection: str, hosts: int) -> list[Step]:
    """Moves that leave `hosts` host processes on every volume the collection uses, with its
    partitions there spread evenly over them; each partition stays on its volume.

    Raises:
        ValueError: `hosts` is below 1, or the collection is not mapped.
    """
    if hosts < 1:
        raise ValueError(f"a collection needs at least one host, not {hosts}")
    slots = _slots(current, collection)
    steps: list[Step] = []
    for volume in sorted({slot.volume for slot in slots}):
        on_volume = [p for p, slot in enumerate(slots) if slot.volume == volume]
        placed = {p: slots[p].host for p in on_volume}
        for partition, host in _spread(placed, list(range(hosts))).items():
            steps.append(
                Step(collection, partition, Slot(volume, placed[partition]), Slot(volume, host))
            )
    return steps


def rebalance_plan(current: PartitionMap, volumes: list[str]) -> list[Step]:
    """Moves that spread every collection's partitions, and every dedicated kind's objects,
    evenly over `volumes` (one on a volume not listed always moves: that is how a volume is
    drained). On its new volume a partition goes to the host numbers the collection already
    uses there, or host 0.

    Raises:
        ValueError: no volume to spread over.
    """
    if not volumes:
        raise ValueError("there is no volume to spread the partitions over")
    steps: list[Step] = []
    for collection in sorted(current.collections):
        slots = list(current.collections[collection])
        by_volume = {p: slot.volume for p, slot in enumerate(slots)}
        moves = _spread(by_volume, sorted(volumes))
        hosts_per_volume = max(
            len({slot.host for slot in slots if slot.volume == volume})
            for volume in set(by_volume.values())
        )
        load: dict[Slot, int] = {}
        for slot in slots:
            load[slot] = load.get(slot, 0) + 1
        for partition, volume in moves.items():
            choices = [Slot(volume, h) for h in range(hosts_per_volume)]
            target = min(choices, key=lambda slot: (load.get(slot, 0), slot.host))
            load[target] = load.get(target, 0) + 1
            load[slots[partition]] -= 1
            steps.append(Step(collection, partition, slots[partition], target))
    for kind, placed in sorted(current.dedicated.items()):
        for key, volume in _spread(placed, sorted(volumes)).items():
            steps.append(Step(kind, key, Slot(placed[key], 0), Slot(volume, 0), dedicated=True))
    return steps


def _spread(placed: dict[K, T], places: list[T]) -> dict[K, T]:
    """Which partitions must move, and where, for `placed` (partition -> place) to become an
    even spread over `places`: each place keeps up to its share of what it has, and the
    places holding most get the larger shares, so that as little as possible moves."""
    held = Counter(placed.values())
    fullest_first = sorted(places, key=lambda place: (-held[place], str(place)))
    shares = dict(zip(fullest_first, even_shares(len(placed), len(places)), strict=True))
    kept: dict[T, int] = dict.fromkeys(places, 0)
    leaving = []
    for partition in sorted(placed):
        place = placed[partition]
        if place in shares and kept[place] < shares[place]:
            kept[place] += 1
        else:
            leaving.append(partition)
    moves = {}
    for place in places:
        while kept[place] < shares[place]:
            moves[leaving.pop(0)] = place
            kept[place] += 1
    return moves


def _slots(current: PartitionMap, collection: str) -> list[Slot]:
    if collection not in current.collections:
        known = ", ".join(sorted(current.collections)) or "none yet"
        raise ValueError(f"no collection {collection!r} in the partition map (mapped: {known})")
    return list(current.collections[collection])
