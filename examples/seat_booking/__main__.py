"""Books seats for a ten-seat event on a local Ray: `python -m examples.seat_booking`.

It prints each booking's outcome, the seat map, and which of the shop's packages this
process imported, and could have (none and none, when only the runtime and its dependencies
are on the path: the application uses the runtime alone)."""

import asyncio
import importlib.util
import sys
import tempfile

import ray

from durable import Objects, RuntimeConfig, Saga
from examples.seat_booking.app import SEAT_BOOKING
from examples.seat_booking.seat_map import SeatMap

SHOP_PACKAGES = ("actors", "sagas", "serve_app", "domain", "bootstrap")


async def book(objects: Objects) -> None:
    seat_map = objects(SeatMap).get("concert")
    await seat_map.call(SeatMap.open, seats=[f"A{n}" for n in range(1, 11)])
    for number, token in enumerate(["tok_ok", "tok_declined", "tok_flaky"]):
        request = {"event_id": "concert", "seats": 2, "price_per_seat": 50, "card_token": token}
        saga = objects(Saga).get(f"booking-{number}")
        outcome = await saga.call(Saga.run, saga_type="book_seats", input=request)
        print(f"booking-{number} ({token}): {outcome['status']}", outcome["result"] or "")
    print("seat map:", await seat_map.call(SeatMap.view))


def main() -> None:
    ray.init(
        address="local",
        namespace=SEAT_BOOKING.namespace,
        include_dashboard=False,
        log_to_driver=False,
    )
    with tempfile.TemporaryDirectory() as state_dir:
        asyncio.run(book(Objects(SEAT_BOOKING, RuntimeConfig(state_dir=state_dir))))
    ray.shutdown()
    imported = sorted({name.split(".")[0] for name in sys.modules} & set(SHOP_PACKAGES))
    print("shop packages imported:", ", ".join(imported) or "none")
    findable = [name for name in SHOP_PACKAGES if importlib.util.find_spec(name) is not None]
    print("shop packages importable:", ", ".join(findable) or "none")


if __name__ == "__main__":
    main()
