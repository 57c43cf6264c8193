"""What `rayshop scale`, `rebalance` and `drain` do (ARCHITECTURE §13.3), from the operator's
process: plan, start the target hosts, ask the keeper for each move in turn, report progress,
and stop the hosts a scale-down left without partitions."""

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ray

from durable.placement.partition_map import HostSpot, Move, PartitionMap, Slot
from durable.placement.planning import Step, rebalance_plan, scale_plan
from durable.placement.policy import (
    Partitioned,
    dedicated_host_name,
    host_label,
    host_of_slot,
)
from durable.placement.view import volume_mounts
from durable.placement.volumes import check_volume_name

if TYPE_CHECKING:
    from durable.client.objects import Objects

Progress = Callable[[int, int, Step], None]
"""Called after each move: moves done, moves planned, the move just done."""


class PlacementRefused(ValueError):
    """An operator's request that would leave the shop worse off; nothing was moved."""


async def scale(
    objects: "Objects",
    collection: str,
    hosts: int,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[Step]:
    """`hosts` host processes on every volume of `collection`, live; returns the moves."""
    if not isinstance(hosts, int) or hosts < 1:
        raise PlacementRefused(f"{collection} needs at least one host, not {hosts!r}")
    current = await objects.placement.refresh()
    try:
        steps = scale_plan(current, collection, hosts)
    except ValueError as exc:
        raise PlacementRefused(str(exc)) from exc
    if not dry_run:
        await _run(objects, steps, progress)
        await _stop_idle_hosts(objects, collection)
    return steps


async def rebalance(
    objects: "Objects",
    volumes: list[str] | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[Step]:
    """Every collection's partitions, and each dedicated kind's objects, spread evenly over
    `volumes` (by default every volume a node mounts); returns the moves."""
    mounted = _mounted_volumes(objects)
    chosen = sorted(volumes) if volumes else mounted
    unmounted = [v for v in chosen if v not in mounted]
    if unmounted:
        raise PlacementRefused(f"no node mounts volume {', '.join(unmounted)}; nothing moved")
    steps = rebalance_plan(await objects.placement.refresh(), chosen)
    if not dry_run:
        await _run(objects, steps, progress)
    return steps


async def drain(
    objects: "Objects", volume: str, *, dry_run: bool = False, progress: Progress | None = None
) -> list[Step]:
    """Everything off `volume`, onto the other mounted volumes (before a node goes)."""
    mounted = _mounted_volumes(objects)
    holding = (await objects.placement.refresh()).volumes()
    if check_volume_name(volume) not in {*mounted, *holding}:
        raise PlacementRefused(f"there is no volume {volume}: nothing moved")
    if volume == objects.config.home_volume:
        raise PlacementRefused(
            f"{volume} is the home volume: it holds the partition map and the dedicated"
            " objects, which do not move; nothing moved"
        )
    others = [v for v in mounted if v != volume]
    if not others:
        raise PlacementRefused(f"{volume} is the only volume: there is nowhere to drain it to")
    return await rebalance(objects, others, dry_run=dry_run, progress=progress)


async def move_partition(objects: "Objects", collection: str, partition: int, target: Slot) -> None:
    """One partition to the host `target` (started if new), live."""
    current = await objects.placement.refresh()
    if collection not in current.collections:
        raise PlacementRefused(f"no collection {collection!r} in the partition map")
    if not 0 <= partition < len(current.collections[collection]):
        raise PlacementRefused(f"{collection} has no partition {partition}")
    source = current.slot(collection, partition)
    await _run(objects, [Step(collection, partition, source, target)], None)


async def move_object(objects: "Objects", kind: str, key: str, volume: str) -> None:
    """One dedicated object to `volume` (its new host started there), live."""
    current = await objects.placement.refresh()
    source = current.volume_of(kind, key)
    if source is None:
        raise PlacementRefused(f"no {kind} {key!r} in the partition map")
    step = Step(kind, key, Slot(source, 0), Slot(check_volume_name(volume), 0), dedicated=True)
    await _run(objects, [step], None)


def _mounted_volumes(objects: "Objects") -> list[str]:
    """Volumes some node mounts; a Ray that advertises none holds the home volume alone."""
    mounts = volume_mounts()
    return sorted(mounts) if mounts else [objects.config.home_volume]


async def _run(objects: "Objects", steps: list[Step], progress: Progress | None) -> None:
    """Starts every target host first (a new process takes a second or more), then asks the
    keeper for the moves one at a time."""
    targets = {_host_name(step, step.target): step for step in steps}  # each started once
    await asyncio.gather(*(_ensure_target(objects, step) for step in targets.values()))
    keeper = objects.placement.keeper()
    for done, step in enumerate(steps, start=1):
        volume, host = step.target.volume, step.target.host
        if step.dedicated:
            await keeper.move_object.remote(step.collection, step.partition, volume)
            objects.forget_host(_host_name(step, step.source))  # the keeper stopped it
        else:
            await keeper.move.remote(step.collection, step.partition, volume, host)
        if progress is not None:
            progress(done, len(steps), step)
    await objects.placement.refresh()


async def _ensure_target(objects: "Objects", step: Step) -> None:
    """Starts the step's target host (if it is new) and waits until it is up."""
    if step.dedicated:
        client = objects.named(step.collection)
        spot = HostSpot(step.target.volume, step.partition)
    else:
        client = _client_of(objects, step.collection)
        spot = HostSpot(step.target.volume, step.target.host)
    await client.handle(_host_name(step, step.target), spot).ready.remote()


def _host_name(step: Step, slot: Slot) -> str:
    if step.dedicated:
        assert isinstance(step.partition, str)
        return dedicated_host_name(step.collection, step.partition, slot.volume)
    return host_of_slot(step.collection, slot)


def _client_of(objects: "Objects", collection: str) -> Any:
    for kind in objects.app.kinds:
        client = objects(kind)
        placement = client.placement
        if isinstance(placement, Partitioned) and host_label(placement, kind.kind) == collection:
            return client
    raise PlacementRefused(f"{objects.app.name} has no partitioned collection {collection!r}")


async def _stop_idle_hosts(objects: "Objects", collection: str) -> None:
    """Stops the collection's hosts that serve no partition any more (after a scale-down)."""
    current = await objects.placement.refresh()
    serving = {host_of_slot(collection, slot) for slot in current.slots_of(collection)}
    prefix = f"{collection}-"
    for actor in ray.util.list_named_actors(all_namespaces=True):
        name = actor["name"]
        if actor["namespace"] == objects.app.namespace and name.startswith(prefix):
            number, _, volume = name.removeprefix(prefix).partition("@")
            if number.isdigit() and volume and name not in serving:
                ray.kill(ray.get_actor(name, namespace=objects.app.namespace), no_restart=True)
                objects.forget_host(name)


Stats = dict[str, dict[int, tuple[int, int]]]
"""Per collection and partition: bytes on disk, calls since its host started."""


async def partition_stats(objects: "Objects", current: PartitionMap) -> Stats:
    """Asks every host of every collection for its partitions' sizes and call counts."""
    found: Stats = {}
    for collection in current.collections:
        for slot in current.slots_of(collection):
            host = ray.get_actor(host_of_slot(collection, slot), namespace=objects.app.namespace)
            found.setdefault(collection, {}).update(await host.partition_stats.remote())
    return found


def partitions_report(current: PartitionMap, stats: Stats | None = None) -> dict[str, Any]:
    """Who serves what: per collection, each partition's host, volume, size and calls; the
    move under way."""
    stats = stats or {}

    def row(name: str, partition: int, slot: Slot) -> dict[str, Any]:
        size, calls = stats.get(name, {}).get(partition, (0, 0))
        host = host_of_slot(name, slot)
        return {
            "partition": partition,
            "host": host,
            "volume": slot.volume,
            "bytes": size,
            "calls": calls,
        }

    return {
        "epoch": current.epoch,
        "move": step_report(_as_step(current.move)) | {"phase": current.move.phase}
        if current.move
        else None,
        "collections": {
            name: [row(name, p, slot) for p, slot in enumerate(slots)]
            for name, slots in sorted(current.collections.items())
        },
    }


def _as_step(move: Move) -> Step:
    return Step(move.collection, move.partition, move.source, move.target, move.dedicated)


def volumes_report(current: PartitionMap, mounts: dict[str, str]) -> dict[str, Any]:
    """Per volume: the node that mounts it, its partitions per collection, its objects."""
    volumes = sorted({*current.volumes(), *mounts})
    return {
        "epoch": current.epoch,
        "volumes": {
            volume: {
                "mounted_on": mounts.get(volume, "this Ray (no node advertises volumes)"),
                "partitions": {
                    name: sum(1 for slot in slots if slot.volume == volume)
                    for name, slots in sorted(current.collections.items())
                },
                "dedicated": {
                    kind: sorted(key for key, v in keys.items() if v == volume)
                    for kind, keys in sorted(current.dedicated.items())
                },
            }
            for volume in volumes
        },
    }


def step_report(step: Step) -> dict[str, Any]:
    return {
        "collection": step.collection,
        "partition": step.partition,
        "source": _host_name(step, step.source),
        "target": _host_name(step, step.target),
    }
