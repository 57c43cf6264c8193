"""The booking saga: hold seats, charge the card, confirm the seats. A declined card gives
the seats back; a hold that expired before the confirmation refunds the charge."""

from pydantic import BaseModel, Field

from durable import RetryPolicy, SagaContext
from examples.seat_booking.payments import CardGateway
from examples.seat_booking.seat_map import SeatMap

CHARGE_POLICY = RetryPolicy(attempts=4, first_backoff_s=0.05)


class BookingRequest(BaseModel):
    event_id: str = Field(min_length=1)
    seats: int = Field(ge=1, le=10)
    price_per_seat: int = Field(ge=0)
    card_token: str
    hold_s: float = 600.0


class Booking(BaseModel):
    seats: list[str]
    receipt: str


async def book_seats(ctx: SagaContext, raw: dict[str, object]) -> dict[str, object]:
    request = BookingRequest.model_validate(raw)
    seat_map = ctx.objects(SeatMap).get(request.event_id)
    gateway = ctx.objects.adapter(CardGateway)
    booking_id = ctx.saga_id

    seats = await ctx.step(
        "hold_seats",
        lambda key: seat_map.once(key).call(
            SeatMap.hold, booking_id=booking_id, count=request.seats, ttl_s=request.hold_s
        ),
        compensate=lambda _: seat_map.once(ctx.key("release_seats")).call(
            SeatMap.release_if_held, booking_id=booking_id
        ),
    )
    amount = request.price_per_seat * len(seats)
    receipt = await ctx.step(
        "charge_card",
        lambda key: gateway.charge(key, amount, request.card_token),
        compensate=gateway.refund,
        retry=CHARGE_POLICY,
    )
    await ctx.step(
        "confirm_seats",
        lambda key: seat_map.once(key).call(SeatMap.confirm, booking_id=booking_id),
    )
    return Booking(seats=seats, receipt=receipt).model_dump()
