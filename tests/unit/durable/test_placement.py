"""Placement: stable partitions, spread over hosts, safe names (pure)."""

import json
import zlib
from pathlib import Path

import pytest

from durable.config import parse_counts
from durable.placement.layout import LayoutMismatch, fix_partitions
from durable.placement.policy import (
    Partitioned,
    dedicated_file,
    effective,
    partition_file,
    safe_name,
)


def test_a_key_always_lands_in_the_same_partition() -> None:
    placement = Partitioned(partitions=16, hosts=2)
    assert placement.partition_of("cart-1") == placement.partition_of("cart-1")
    assert placement.partition_of("cart-1") == 4  # crc32: stable across processes and runs


def test_partitions_are_spread_evenly_over_hosts() -> None:
    placement = Partitioned(partitions=16, hosts=3)
    held = [placement.partitions_of_host(h) for h in range(3)]
    assert sorted(p for ps in held for p in ps) == list(range(16))
    assert [len(ps) for ps in held] == [6, 5, 5]


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


def test_files_live_under_the_kind_in_the_state_directory() -> None:
    assert str(partition_file("/s", "cart", 3)) == "/s/cart/p003.sqlite"
    assert str(dedicated_file("/s", "warehouse", "a/b")).startswith("/s/warehouse/x-")


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


def test_a_host_group_scales_as_one_and_keeps_a_key_on_one_host_number() -> None:
    hosts = parse_counts("shop=4")
    cart = effective(Partitioned(partitions=16, hosts=1, group="shop"), "cart", hosts)
    payment = effective(Partitioned(partitions=8, hosts=1, group="shop"), "payment", hosts)
    assert cart.hosts == payment.hosts == 4
    for key in (f"key-{n}" for n in range(200)):
        assert cart.host_of(cart.partition_of(key)) == payment.host_of(payment.partition_of(key))


def test_a_group_refuses_a_host_count_that_would_split_a_key_across_processes() -> None:
    with pytest.raises(ValueError, match="do not divide"):
        effective(Partitioned(partitions=8, hosts=1, group="shop"), "payment", {"shop": 3})


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
