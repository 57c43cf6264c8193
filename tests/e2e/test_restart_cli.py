"""The README's commands, run as an operator runs them: `rayshop up` beside another Ray and
over a stale address, `rayshop down` stopping only the shop's own Ray, the placement
commands, and a shop started again from files laid out as before volumes existed that sells
at once: its state moved into the home volume, warehouses found from what is stored, a
checkout shipped from one of them, a company kept as before company objects moved into one."""

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from durable.local_ray import LocalRay, free_port
from tests.conftest import eventually
from tests.e2e.http_helpers import JAKARTA, bearer

RAYSHOP = str(Path(sys.executable).parent / "rayshop")
START_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def other_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another Ray on the machine (another project's): the shop must neither join nor stop it."""
    other = LocalRay(tmp_path_factory.mktemp("other-project"))
    address = other.start(dashboard_port=free_port())
    yield address
    other.stop()


def rayshop(state_dir: Path, *args: str) -> str:
    done = run_rayshop(state_dir, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def run_rayshop(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAYSHOP_STATE_DIR": str(state_dir), "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    return subprocess.run(
        [RAYSHOP, *args],
        env=env,
        cwd=state_dir.parent,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def answers(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def process_titles() -> set[str]:
    titles = set()
    for process in psutil.process_iter(["cmdline"]):
        if process.info["cmdline"]:
            titles.add(process.info["cmdline"][0])
    return titles


async def test_a_shop_stopped_and_started_the_documented_way_sells_at_once(
    tmp_path: Path, other_ray: str
) -> None:
    state_dir = tmp_path / "var"
    state_dir.mkdir()
    stale = {"address": f"127.0.0.1:{free_port()}"}  # Ray was killed: nothing listens there
    (state_dir / "ray.json").write_text(json.dumps(stale))
    api_port, dashboard_port = free_port(), free_port()
    ports = ("--api-port", str(api_port), "--dashboard-port", str(dashboard_port))
    try:
        first = rayshop(state_dir, "up", *ports)
        own_address = json.loads((state_dir / "ray.json").read_text())["address"]
        assert own_address not in (other_ray, stale["address"]), "the shop runs its own Ray"
        stop_command = re.search(r"Stop:\s+(\S+) down", first)
        assert stop_command and os.access(stop_command.group(1), os.X_OK), first
        password = re.search(r"customer@rayshop\.local\s+(\S+)", first)
        assert password, first
        titles = process_titles()
        assert {"ray::shop-0@v0[p0,p2]", "ray::warehouse-jkt@v0"} <= titles, sorted(titles)

        front_door = json.loads((state_dir / "front-door.json").read_text())
        haproxy_files = Path(front_door["RAY_SERVE_HAPROXY_BINARY_PATH"]).parent
        assert haproxy_files.is_dir()
        operates_placement(state_dir)

        rayshop(state_dir, "down")
        assert not answers(own_address) and answers(other_ray), "down stops only the shop's Ray"
        assert not haproxy_files.exists(), "down removes HAProxy's files"
        register_a_company_as_before(state_dir, "buyer@rayshop.local")
        lay_out_as_before_volumes(state_dir)
        second = rayshop(state_dir, "up", *ports)
        assert "moved the files of" in second and "already there" in second, second
        assert "moved 1 companies into company objects" in second, second
        base_url = f"http://127.0.0.1:{api_port}"
        await sells_from_a_warehouse(base_url, password.group(1))
        buyer_password = re.search(r"buyer@rayshop\.local\s+(\S+)", first)
        assert buyer_password, first
        await owns_the_moved_company(base_url, buyer_password.group(1))
    finally:
        rayshop(state_dir, "down")


def operates_placement(state_dir: Path) -> None:
    """`partitions` shows who serves what; a scale's dry run plans; nonsense is refused."""
    partitions = json.loads(rayshop(state_dir, "partitions"))["collections"]["shop"]
    assert [row["host"] for row in partitions] == ["shop-0@v0", "shop-1@v0"] * 2
    assert all(row["bytes"] > 0 and row["calls_per_s"] >= 0 for row in partitions)
    planned = json.loads(rayshop(state_dir, "scale", "shop=4", "--dry-run"))["would move"]
    assert len(planned) == 2
    for nonsense in (("scale", "shop=0"), ("scale", "shop"), ("drain", "v0")):
        refused = run_rayshop(state_dir, *nonsense)
        assert refused.returncode == 2 and refused.stderr, (nonsense, refused.stdout)
    still = json.loads(rayshop(state_dir, "partitions"))["collections"]["shop"]
    assert [row["host"] for row in still] == [row["host"] for row in partitions]


def register_a_company_as_before(state_dir: Path, owner_email: str) -> None:
    """An approved company as versions before company objects kept it: a row of the
    identity database's own table."""
    (users_file,) = (state_dir / "v0").glob("users/*.sqlite")
    with sqlite3.connect(users_file) as db:
        (owner_id,) = db.execute(
            "SELECT user_id FROM users WHERE email = ?", (owner_email,)
        ).fetchone()
        db.execute(
            "INSERT INTO companies VALUES (?, ?, ?, ?, 'approved', 1.0, 2.0)",
            (LEGACY_COMPANY, owner_id, "PT Lama Jaya", "01.234.567.8-901"),
        )


LEGACY_COMPANY = "cmp-0123456789abcdef"


async def owns_the_moved_company(base_url: str, password: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        login = await client.post(
            "/api/auth/login", json={"email": "buyer@rayshop.local", "password": password}
        )
        me = (await client.get("/api/auth/me", headers=bearer(login.json()["access_token"]))).json()
        assert me["market"] == "wholesale", me
        company = me["company"]
        assert (company["company_id"], company["status"], company["role"]) == (
            LEGACY_COMPANY,
            "approved",
            "owner",
        )


def lay_out_as_before_volumes(state_dir: Path) -> None:
    """The files as versions before volumes kept them: kind directories under the root."""
    volume = state_dir / "v0"
    for kind_dir in [p for p in volume.iterdir() if p.is_dir()]:
        kind_dir.replace(state_dir / kind_dir.name)
    shutil.rmtree(volume)


async def sells_from_a_warehouse(base_url: str, password: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        await eventually(
            lambda: client.get("/health/ready"),
            lambda response: response.status_code == 200,
            what="readiness after the restart",
        )
        warehouses = (await client.get("/api/warehouses")).json()
        assert {w["warehouse_id"] for w in warehouses} == {"jkt", "bdg", "sby"}
        login = await client.post(
            "/api/auth/login", json={"email": "customer@rayshop.local", "password": password}
        )
        customer = bearer(login.json()["access_token"])
        await client.post(
            "/api/cart/items", json={"sku": "TEX-04", "quantity": 2}, headers=customer
        )
        done = await client.post(
            "/api/checkout?wait=true",
            json={"address": JAKARTA, "shipping_service": "REG"},
            headers={**customer, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert done.json()["status"] == "completed", done.text
        order: dict[str, Any] = (
            await client.get(f"/api/orders/{done.json()['order_id']}", headers=customer)
        ).json()
        assert order["status"] == "PAID"
        assert [s["warehouse_id"] for s in order["shipments"].values()] == ["jkt"]
