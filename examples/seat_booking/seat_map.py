"""The seat map of one event: which seats are free, held by a booking, or booked.

A hold lasts `ttl_s` seconds, kept by an alarm: if the booking does not confirm in time (its
payment hangs, its process dies), the alarm gives the seats back, even after a host restart.
"""

from pydantic import BaseModel, Field

from durable import CallContext, DurableObject, Event, Partitioned, TerminalError, command, query


class SoldOut(TerminalError):
    code = "sold_out"


class HoldExpired(TerminalError):
    code = "hold_expired"


class Hold(BaseModel):
    seats: list[str]
    until: float


class SeatMapState(BaseModel):
    seats: list[str] = Field(default_factory=list)
    holds: dict[str, Hold] = Field(default_factory=dict)
    booked: dict[str, list[str]] = Field(default_factory=dict)

    def free(self) -> list[str]:
        taken = {seat for hold in self.holds.values() for seat in hold.seats}
        taken |= {seat for seats in self.booked.values() for seat in seats}
        return [seat for seat in self.seats if seat not in taken]


class SeatMap(DurableObject):
    kind = "seat_map"
    collection = "seat_maps"
    placement = Partitioned(partitions=4, hosts=1)
    state_model = SeatMapState
    state: SeatMapState

    def apply(self, event: Event) -> None:
        state, data = self.state, event.data
        if event.type == "SeatsOpened":
            state.seats = data["seats"]
        elif event.type == "SeatsHeld":
            state.holds[data["booking_id"]] = Hold(seats=data["seats"], until=data["until"])
        elif event.type == "HoldReleased":
            state.holds.pop(data["booking_id"], None)
        elif event.type == "SeatsBooked":
            state.booked[data["booking_id"]] = state.holds.pop(data["booking_id"]).seats

    @command
    async def open(self, ctx: CallContext, seats: list[str]) -> None:
        """Puts the seats on sale (once: opening again changes nothing)."""
        if not self.state.seats:
            ctx.emit("SeatsOpened", {"seats": seats})

    @command
    async def hold(self, ctx: CallContext, booking_id: str, count: int, ttl_s: float) -> list[str]:
        """Holds `count` free seats for the booking until `ttl_s` from now.

        Raises:
            SoldOut: fewer than `count` seats are free.
        """
        if booking_id in self.state.holds:
            return self.state.holds[booking_id].seats
        free = self.state.free()
        if count < 1 or len(free) < count:
            raise SoldOut(f"{len(free)} seats left, {count} asked for", left=len(free))
        until = ctx.now() + ttl_s
        ctx.emit("SeatsHeld", {"booking_id": booking_id, "seats": free[:count], "until": until})
        ctx.set_alarm(f"hold:{booking_id}", until)
        return free[:count]

    @command
    async def confirm(self, ctx: CallContext, booking_id: str) -> list[str]:
        """Books the held seats for good.

        Raises:
            HoldExpired: the hold ran out (its seats went back on sale) before the booking paid.
        """
        if booking_id in self.state.booked:
            return self.state.booked[booking_id]
        if booking_id not in self.state.holds:
            raise HoldExpired(f"booking {booking_id}'s hold has expired")
        ctx.emit("SeatsBooked", {"booking_id": booking_id})
        ctx.cancel_alarm(f"hold:{booking_id}")
        return self.state.booked[booking_id]

    @command
    async def release_if_held(self, ctx: CallContext, booking_id: str) -> None:
        """Gives a booking's held seats back; nothing happens where there is no hold."""
        if booking_id in self.state.holds:
            ctx.emit("HoldReleased", {"booking_id": booking_id, "reason": "released"})
            ctx.cancel_alarm(f"hold:{booking_id}")

    async def on_alarm(self, ctx: CallContext, name: str) -> None:
        booking_id = name.removeprefix("hold:")
        if booking_id in self.state.holds:
            ctx.emit("HoldReleased", {"booking_id": booking_id, "reason": "expired"})

    @query
    async def view(self, ctx: CallContext) -> dict[str, list[str]]:
        held = [seat for hold in self.state.holds.values() for seat in hold.seats]
        booked = [seat for seats in self.state.booked.values() for seat in seats]
        return {"free": self.state.free(), "held": held, "booked": booked}
