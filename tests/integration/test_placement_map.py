"""Volumes and the partition map on a real local Ray (ARCHITECTURE §13.1-§13.2): the map is
durable across a crash of its keeper, names every host's volume, and state from before
volumes is refused rather than misread."""

import sqlite3
from pathlib import Path

import pytest
import ray
from ray.exceptions import RayTaskError

from durable import Application, Objects, RuntimeConfig, Slot
from durable.placement.keeper import KEEPER_NAME
from durable.placement.volumes import HOME_VOLUME, volume_dir
from tests.conftest import eventually, kill_process
from tests.integration.kinds import Counter, Ledger

pytestmark = pytest.mark.usefixtures("ray_cluster")

APP = Application("placement-tests", kinds=(Counter, Ledger), namespace="placement-tests")


@pytest.fixture(scope="module")
def shop(ray_cluster: None, runtime_config: RuntimeConfig) -> Objects:
    shop = Objects(APP, runtime_config)
    shop.ensure_hosts()
    return shop


async def keeper_pid() -> int:
    pid: int = await ray.get_actor(KEEPER_NAME, namespace=APP.namespace).ready.remote()
    return pid


async def test_every_host_is_named_after_its_volume_and_serves_what_the_map_says(
    shop: Objects, runtime_config: RuntimeConfig
) -> None:
    await shop(Counter).get("alpha").call(Counter.increment)
    await shop(Ledger).get("north").call(Ledger.post, ref="a", amount=5)

    current = await shop.placement.refresh()

    assert current.slots_of("counter") == [Slot(HOME_VOLUME, 0), Slot(HOME_VOLUME, 1)]
    assert current.volume_of("ledger", "north") == HOME_VOLUME
    names = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}
    assert {"counter-0@v0", "counter-1@v0", "ledger-north@v0", KEEPER_NAME} <= names
    files = volume_dir(runtime_config.state_dir, HOME_VOLUME)
    assert (files / "ledger" / "north.sqlite").exists()
    assert (files / "volume.json").exists()


async def test_the_map_survives_its_keeper_killed_and_every_version_is_kept(
    shop: Objects, runtime_config: RuntimeConfig
) -> None:
    await shop(Ledger).get("south").call(Ledger.post, ref="b", amount=7)
    before = await shop.placement.refresh()
    kill_process(await keeper_pid())

    after = await eventually(
        lambda: Objects(APP, runtime_config).placement.refresh(),
        lambda found: found.epoch == before.epoch,
        what="the keeper back with the same map",
    )

    assert after == before
    stored = volume_dir(runtime_config.state_dir, HOME_VOLUME) / "placement.sqlite"
    with sqlite3.connect(f"file:{stored}?mode=ro", uri=True) as conn:
        epochs = [row[0] for row in conn.execute("SELECT epoch FROM maps ORDER BY epoch")]
    assert epochs == list(range(epochs[0], before.epoch + 1))
    assert await shop(Ledger).get("south").call(Ledger.post, ref="c", amount=1) == 8


async def test_a_host_refuses_state_written_before_volumes(tmp_path: Path) -> None:
    legacy = tmp_path / "counter"
    legacy.mkdir()
    (legacy / "p000.sqlite").write_bytes(b"")
    app = Application("legacy-tests", kinds=(Counter,), namespace="legacy-tests")
    objects = Objects(app, RuntimeConfig(state_dir=str(tmp_path)))

    with pytest.raises(RayTaskError, match="rayshop migrate-state"):
        await objects(Counter).get("alpha").call(Counter.increment)

    assert not (tmp_path / HOME_VOLUME / "counter").exists()  # nothing made beside the old files
