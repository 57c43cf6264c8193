"""Placement: stable partitions, spread over hosts, safe names (pure)."""

import json
import zlib
from pathlib import Path

import pytest

from durable import Application, DurableObject
from durable.config import parse_counts
from durable.placement.layout import LayoutMismatch, fix_partitions
from durable.placement.partition_map import HostSpot, PartitionMap, Slot
from durable.placement.policy import (
    Dedicated,
    Partitioned,
    dedicated_file,
    effective,
    host_name,
    partition_file,
    routing_part,
    safe_name,
)


def test_a_key_always_lands_in_the_same_partition() -> None:
    placement = Partitioned(partitions=16, hosts=2)
    assert placement.partition_of("cart-1") == placement.partition_of("cart-1")
    assert placement.partition_of("cart-1") == 4  # crc32: stable across processes and runs


def test_a_new_collection_spreads_its_partitions_evenly_over_its_hosts() -> None:
    mapped = PartitionMap().with_collection("cart", partitions=16, hosts=3, volume="v0")
    held = [mapped.partitions_of("cart", Slot("v0", h)) for h in range(3)]
    assert sorted(p for ps in held for p in ps) == list(range(16))
    assert [len(ps) for ps in held] == [6, 5, 5]
    assert mapped.slots_of("cart") == [Slot("v0", 0), Slot("v0", 1), Slot("v0", 2)]


def test_keys_spread_over_all_partitions() -> None:
    placement = Partitioned(partitions=8, hosts=2)
    used = {placement.partition_of(f"order-{n}") for n in range(1000)}
    assert used == set(range(8))


@pytest.mark.parametrize("key", ["jakarta-1", "WH_02", "a.b"])
def test_plain_keys_keep_their_spelling(key: str) -> None:
    assert safe_name(key) == key


@pytest.mark.parametrize("key", ["../etc/passwd", "a/b", "a b", ".hidden", "x" * 200, "ü"])
def test_unsafe_keys_become_safe_and_stay_distinct(key: str) -> None:
    name = safe_name(key)
    assert "/" not in name and not name.startswith(".") and len(name) <= 140
    assert name != safe_name(key + "1")


def test_files_live_under_the_kind_in_their_volume() -> None:
    assert str(partition_file("/s/v0", "cart", 3)) == "/s/v0/cart/p003.sqlite"
    assert str(dedicated_file("/s/v1", "warehouse", "a/b")).startswith("/s/v1/warehouse/x-")


def test_host_names_tell_collection_host_number_and_volume() -> None:
    shop = Partitioned(partitions=4, hosts=2, group="shop")
    assert host_name(shop, "cart", HostSpot("v1", 3)) == "shop-3@v1"
    assert host_name(Dedicated(), "warehouse", HostSpot("v0", "jkt")) == "warehouse-jkt@v0"


def test_a_deployment_can_give_a_kind_more_hosts_but_not_more_partitions() -> None:
    hosts = parse_counts("cart=4, saga=2")
    assert hosts == {"cart": 4, "saga": 2}
    scaled = effective(Partitioned(partitions=16, hosts=1), "cart", hosts)
    assert scaled == Partitioned(partitions=16, hosts=4)
    assert effective(Partitioned(partitions=16, hosts=1), "order", hosts).hosts == 1


@pytest.mark.parametrize("spec", ["cart", "cart=0", "cart=x", "=2"])
def test_a_malformed_host_setting_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="name=count"):
        parse_counts(spec)


def test_a_host_group_is_one_collection_whatever_its_host_count() -> None:
    hosts = parse_counts("shop=3")
    cart = effective(Partitioned(partitions=8, hosts=1, group="shop"), "cart", hosts)
    payment = effective(Partitioned(partitions=8, hosts=1, group="shop"), "payment", hosts)
    assert cart.hosts == payment.hosts == 3
    mapped = PartitionMap().with_collection("shop", cart.partitions, cart.hosts, "v0")
    for key in (f"pay-{{cart-{n}}}" for n in range(200)):
        cart_slot = mapped.slot("shop", cart.partition_of(routing_part(key)))
        assert mapped.slot("shop", payment.partition_of(key)) == cart_slot


def test_an_application_refuses_a_group_whose_kinds_have_different_partition_counts() -> None:
    class Wide(DurableObject):
        kind = collection = "wide"
        placement = Partitioned(partitions=16, group="shop")

    class Narrow(DurableObject):
        kind = collection = "narrow"
        placement = Partitioned(partitions=8, group="shop")

    with pytest.raises(ValueError, match="mixes partition counts"):
        Application(name="mixed", kinds=(Wide, Narrow))


def test_a_hash_tag_puts_related_objects_in_the_partition_of_the_tagged_key() -> None:
    placement = Partitioned(partitions=16, hosts=2)
    cart = placement.partition_of("cart-7")
    assert placement.partition_of("co-{cart-7}") == cart
    assert placement.partition_of("pay-co-{cart-7}") == cart
    assert placement.partition_of("shp-co-{cart-7}-jkt") == cart


@pytest.mark.parametrize("key", ["{}", "a{b", "a}b{", "{"])
def test_a_key_without_a_whole_tag_is_hashed_whole(key: str) -> None:
    placement = Partitioned(partitions=1024, hosts=1)
    assert placement.partition_of(key) == zlib.crc32(key.encode()) % 1024


def test_a_deployment_can_choose_the_partition_count_of_a_group() -> None:
    placement = Partitioned(partitions=4, hosts=2, group="shop")
    assert effective(placement, "cart", {}, parse_counts("shop=64")).partitions == 64


def test_the_partition_count_is_fixed_by_the_first_start(tmp_path: Path) -> None:
    fix_partitions(str(tmp_path), "cart", 4)
    fix_partitions(str(tmp_path), "cart", 4)
    with pytest.raises(LayoutMismatch, match="never change"):
        fix_partitions(str(tmp_path), "cart", 8)


def test_files_made_before_layouts_were_recorded_count_as_their_layout(tmp_path: Path) -> None:
    (tmp_path / "cart").mkdir()
    for partition in range(16):
        (tmp_path / "cart" / f"p{partition:03d}.sqlite").touch()
    with pytest.raises(LayoutMismatch, match="has 16 partitions"):
        fix_partitions(str(tmp_path), "cart", 4)
    fix_partitions(str(tmp_path), "cart", 16)
    assert json.loads((tmp_path / "cart" / "layout.json").read_text()) == {"partitions": 16}


def test_every_change_to_the_map_makes_a_new_epoch_and_a_repeat_changes_nothing() -> None:
    first = PartitionMap().with_collection("shop", 4, 2, "v0")
    second = first.with_dedicated("warehouse", "jkt", "v1")
    assert (first.epoch, second.epoch) == (1, 2)
    assert second.with_collection("shop", 4, 5, "v9") is second  # mapped stays mapped
    assert second.with_dedicated("warehouse", "jkt", "v0") is second
    assert second.volume_of("warehouse", "jkt") == "v1"
    assert second.volumes() == ["v0", "v1"]
    assert PartitionMap.from_json(json.loads(json.dumps(second.to_json()))) == second


def test_the_map_refuses_another_partition_count_for_a_mapped_collection() -> None:
    mapped = PartitionMap().with_collection("shop", 4, 2, "v0")
    with pytest.raises(LayoutMismatch, match="never change"):
        mapped.with_collection("shop", 8, 2, "v0")
