"""The seat-booking application's composition root: its kinds, its saga and its adapter."""

from durable import Application, Objects, Saga
from examples.seat_booking.booking import book_seats
from examples.seat_booking.payments import CardGateway, FakeCardGateway
from examples.seat_booking.seat_map import SeatMap


def card_gateway(objects: Objects) -> CardGateway:
    """One fake gateway per process; the saga's steps run in the saga host's process."""
    return FakeCardGateway()


SEAT_BOOKING = Application(
    name="seat-booking",
    kinds=(SeatMap, Saga),
    sagas={"book_seats": book_seats},
    adapters={CardGateway: card_gateway},
)
