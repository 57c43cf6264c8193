"""Volumes: named directories under the state root, marked, and state from before volumes
moved into one or refused (pure, files only)."""

from pathlib import Path

import pytest

from durable.placement.volumes import (
    VolumeMismatch,
    advertised_volumes,
    check_volume_name,
    claim_volume,
    migrate_legacy_layout,
    refuse_legacy_layout,
    resources_for,
)


@pytest.mark.parametrize("name", ["", "V1", "../v1", "v 1", "v/1", "x" * 40, "-v"])
def test_a_volume_name_is_a_plain_lower_case_word(name: str) -> None:
    with pytest.raises(ValueError, match="not a volume name"):
        check_volume_name(name)


def test_hosts_ask_for_their_volume_only_where_nodes_advertise_volumes() -> None:
    cluster = {"CPU": 8.0, "rayshop_volume_v1": 1.0, "rayshop_volume_v0": 1.0, "state": 2.0}
    assert advertised_volumes(cluster) == ["v0", "v1"]
    assert advertised_volumes({"CPU": 2.0}) == []
    assert resources_for("v1", volumes_advertised=True) == {"rayshop_volume_v1": 0.001}
    assert resources_for("v1", volumes_advertised=False) == {}


def test_a_directory_marked_as_another_volume_is_refused(tmp_path: Path) -> None:
    assert claim_volume(str(tmp_path), "v1") == tmp_path / "v1"
    assert claim_volume(str(tmp_path), "v1") == tmp_path / "v1"
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "volume.json").write_text('{"volume": "v1"}')  # mounted at the wrong place
    with pytest.raises(VolumeMismatch, match="holds volume 'v1', not 'v2'"):
        claim_volume(str(tmp_path), "v2")


def legacy_state(root: Path) -> None:
    """Files as versions before volumes wrote them: kinds straight under the root."""
    (root / "cart").mkdir(parents=True)
    (root / "cart" / "p000.sqlite").write_bytes(b"cart data")
    (root / "cart" / "layout.json").write_text('{"partitions": 4}')
    (root / "warehouse").mkdir()
    (root / "warehouse" / "jkt.sqlite").write_bytes(b"stock")
    (root / "secrets").mkdir()  # not a kind: stays where it is


def test_state_from_before_volumes_is_moved_into_the_home_volume_whole(tmp_path: Path) -> None:
    legacy_state(tmp_path)
    with pytest.raises(VolumeMismatch, match="rayshop migrate-state"):
        refuse_legacy_layout(str(tmp_path), "cart")

    moved = migrate_legacy_layout(str(tmp_path), ["cart", "warehouse", "order", "secrets"])

    assert sorted(moved) == ["cart", "warehouse"]
    assert (tmp_path / "v0" / "cart" / "p000.sqlite").read_bytes() == b"cart data"
    assert (tmp_path / "v0" / "cart" / "layout.json").exists()
    assert (tmp_path / "v0" / "warehouse" / "jkt.sqlite").read_bytes() == b"stock"
    assert not (tmp_path / "cart").exists() and (tmp_path / "secrets").is_dir()
    refuse_legacy_layout(str(tmp_path), "cart")  # nothing left behind
    assert migrate_legacy_layout(str(tmp_path), ["cart", "warehouse"]) == []


def test_a_kind_with_files_in_both_layouts_is_refused_and_nothing_moves(tmp_path: Path) -> None:
    legacy_state(tmp_path)
    (tmp_path / "v0" / "cart").mkdir(parents=True)
    (tmp_path / "v0" / "cart" / "p001.sqlite").write_bytes(b"newer")
    with pytest.raises(VolumeMismatch, match="both in"):
        migrate_legacy_layout(str(tmp_path), ["cart"])
    assert (tmp_path / "cart" / "p000.sqlite").exists()
    assert (tmp_path / "v0" / "cart" / "p001.sqlite").read_bytes() == b"newer"
