"""Plans for scale and rebalance: even spreads reached with the fewest moves (pure)."""

from collections import Counter

import pytest

from durable.placement.partition_map import PartitionMap, Slot
from durable.placement.planning import even_shares, rebalance_plan, scale_plan


def mapped(partitions: int = 16, hosts: int = 2) -> PartitionMap:
    return PartitionMap().with_collection("shop", partitions, hosts, "v0")


def after(current: PartitionMap, steps: list) -> list[Slot]:
    slots = list(current.collections["shop"])
    for step in steps:
        assert slots[step.partition] == step.source
        slots[step.partition] = step.target
    return slots


def test_shares_differ_by_at_most_one() -> None:
    assert even_shares(16, 3) == [6, 5, 5]
    assert even_shares(4, 4) == [1, 1, 1, 1]
    assert even_shares(2, 4) == [1, 1, 0, 0]


def test_scaling_up_moves_only_what_the_new_hosts_take() -> None:
    current = mapped(16, 2)
    steps = scale_plan(current, "shop", 4)
    assert len(steps) == 8  # each new host takes 4; the old ones keep 4 of their 8
    assert Counter(after(current, steps)) == {Slot("v0", h): 4 for h in range(4)}


def test_scaling_down_empties_the_hosts_beyond_the_count() -> None:
    current = mapped(16, 4)
    steps = scale_plan(current, "shop", 2)
    assert {s.source.host for s in steps} == {2, 3} and len(steps) == 8
    assert Counter(after(current, steps)) == {Slot("v0", 0): 8, Slot("v0", 1): 8}
    assert scale_plan(current, "shop", 4) == []  # already there


@pytest.mark.parametrize("hosts", [0, -1])
def test_a_collection_keeps_at_least_one_host(hosts: int) -> None:
    with pytest.raises(ValueError, match="at least one host"):
        scale_plan(mapped(), "shop", hosts)


def test_rebalancing_onto_new_volumes_moves_a_fair_share_and_no_more() -> None:
    current = mapped(16, 2)
    steps = rebalance_plan(current, ["v0", "v1", "v2"])
    volumes = Counter(slot.volume for slot in after(current, steps))
    assert volumes == {"v0": 6, "v1": 5, "v2": 5}
    assert len(steps) == 10
    assert all(step.target.host in (0, 1) for step in steps)  # the hosts it uses on v0


def test_draining_a_volume_moves_everything_off_it() -> None:
    current = mapped(8, 2)
    spread = PartitionMap(
        epoch=current.epoch,
        collections={"shop": after(current, rebalance_plan(current, ["v0", "v1"]))},  # type: ignore[dict-item]
    )
    steps = rebalance_plan(spread, ["v1"])
    assert {slot.volume for slot in after(spread, steps)} == {"v1"}
    assert len(steps) == 4


def test_there_must_be_a_volume_to_spread_over() -> None:
    with pytest.raises(ValueError, match="no volume"):
        rebalance_plan(mapped(), [])


def test_rebalancing_spreads_each_dedicated_kind_and_leaves_a_lone_object_where_it_is() -> None:
    current = PartitionMap()
    for key in ("jkt", "bdg", "sby", "mdn"):
        current = current.with_dedicated("warehouse", key, "v0")
    current = current.with_dedicated("catalog", "catalog", "v2")
    steps = rebalance_plan(current, ["v0", "v1", "v2"])
    moved = {step.partition: step.target.volume for step in steps if step.dedicated}
    assert "catalog" not in moved  # one object: already an even spread wherever it is
    after = {key: moved.get(key, "v0") for key in ("jkt", "bdg", "sby", "mdn")}
    assert Counter(after.values()) == {"v0": 2, "v1": 1, "v2": 1}
    assert all(step.collection == "warehouse" for step in steps if step.dedicated)
