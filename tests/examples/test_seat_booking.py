"""The seat-booking example on real Ray and real files: the runtime without the shop."""

import asyncio
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from durable import Objects, RuntimeConfig, Saga
from examples.seat_booking.app import SEAT_BOOKING
from examples.seat_booking.seat_map import SeatMap
from tests.conftest import eventually, kill_process

ROOT = Path(__file__).resolve().parents[2]
SEATS = [f"R{n}" for n in range(1, 11)]


@pytest.fixture(scope="module")
def objects(ray_cluster: None, runtime_config: RuntimeConfig) -> Objects:
    return Objects(SEAT_BOOKING, runtime_config)


def booking(event_id: str, token: str = "tok_ok", seats: int = 1) -> dict[str, object]:
    return {"event_id": event_id, "seats": seats, "price_per_seat": 40, "card_token": token}


async def run_booking(objects: Objects, booking_id: str, request: dict[str, object]) -> dict:
    saga = objects(Saga).get(booking_id)
    return await saga.call(Saga.run, saga_type="book_seats", input=request, timeout_s=120)


async def open_event(objects: Objects, event_id: str) -> None:
    await objects(SeatMap).get(event_id).call(SeatMap.open, seats=SEATS)


async def test_a_hold_expires_by_its_alarm_after_its_host_is_killed(objects: Objects) -> None:
    await open_event(objects, "expiring")
    seat_map = objects(SeatMap).get("expiring")
    held = await seat_map.call(SeatMap.hold, booking_id="b-1", count=3, ttl_s=3.0)
    client = objects(SeatMap)
    pid = await (await client.host_of("expiring")).ready.remote()
    kill_process(pid)

    view = await eventually(
        lambda: seat_map.call(SeatMap.view),
        lambda seen: not seen["held"],
        what="the hold released by its alarm",
    )

    assert set(held) <= set(view["free"]) and len(view["free"]) == len(SEATS)
    new_pid = await (await client.host_of("expiring")).ready.remote()
    assert new_pid != pid


async def test_a_declined_card_gives_the_held_seats_back(objects: Objects) -> None:
    await open_event(objects, "declined")

    outcome = await run_booking(objects, "declined-1", booking("declined", "tok_declined", 2))

    assert outcome["status"] == "compensated"
    assert outcome["failure"]["code"] == "payment_declined"
    view = await objects(SeatMap).get("declined").call(SeatMap.view)
    assert view == {"free": SEATS, "held": [], "booked": []}


async def test_fifty_concurrent_bookings_of_ten_seats_book_exactly_ten(objects: Objects) -> None:
    await open_event(objects, "rush")

    outcomes = await asyncio.gather(
        *(run_booking(objects, f"rush-{n}", booking("rush", "tok_flaky")) for n in range(50))
    )

    completed = [o for o in outcomes if o["status"] == "completed"]
    assert len(completed) == 10
    assert {o["failure"]["code"] for o in outcomes if o not in completed} == {"sold_out"}
    booked = sorted(seat for o in completed for seat in o["result"]["seats"])
    assert booked == sorted(SEATS)
    view = await objects(SeatMap).get("rush").call(SeatMap.view)
    assert view == {"free": [], "held": [], "booked": view["booked"]}
    assert sorted(view["booked"]) == sorted(SEATS)


def test_the_example_runs_with_the_runtime_alone_on_its_path(tmp_path: Path) -> None:
    """A process whose path holds the runtime, its storage, the example and the third-party
    packages, and nothing of the shop (no site processing: the project's editable install
    is not there either). The example books seats and imports none of the shop."""
    runtime_only = tmp_path / "runtime-only"
    runtime_only.mkdir()
    for package in ("durable", "storage", "examples"):
        (runtime_only / package).symlink_to(ROOT / package, target_is_directory=True)
    third_party = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    path = os.pathsep.join([str(runtime_only), *sorted(third_party)])
    done = subprocess.run(
        [sys.executable, "-S", "-m", "examples.seat_booking"],
        cwd=runtime_only,
        env={**os.environ, "PYTHONPATH": path, "PYTHONSAFEPATH": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "booking-0 (tok_ok): completed" in done.stdout
    assert "booking-1 (tok_declined): compensated" in done.stdout
    assert "shop packages imported: none" in done.stdout, done.stdout
    assert "shop packages importable: none" in done.stdout, done.stdout
