"""The quote object (partitioned, one per request for quotation, ARCHITECTURE §6, §7): the
whole negotiation of one wholesale request, its history, and the offer's expiry by alarm.

Accepting an offer sets an alarm that starts the `quote_to_order` saga for the current try
(`conversion_id`): a crash right after the acceptance still makes the order, and a saga
started twice is one saga. The saga tells the quote how its try ended.
"""

from typing import Any

from actors.groups import SHOP_GROUP
from domain.errors import parse
from domain.events import QUOTE_EVENTS
from domain.quote_terms import OfferTerms, OrderTerms, Wanted
from domain.quotes import OPEN, Events, IllegalQuoteChange, QuoteState, QuoteStatus, conversion_id
from durable import CallContext, DurableObject, Event, Objects, Partitioned, Saga, command, query

EXPIRY_ALARM = "offer-expiry"
CONVERT_ALARM = "convert"
QUOTE_TO_ORDER = "quote_to_order"


class Quote(DurableObject):
    kind = "quote"
    collection = "quotes"
    placement = Partitioned(partitions=4, hosts=2, group=SHOP_GROUP)
    state_model = QuoteState
    state: QuoteState

    def apply(self, event: Event) -> None:
        self.state.apply(event.type, event.data)

    def index(self) -> tuple[str | None, str | None]:
        return self.state.company_id, self.state.status.value

    @command
    async def request(
        self,
        ctx: CallContext,
        company_id: str,
        by: str,
        currency: str,
        wanted: dict[str, Any],
        sellers: list[str],
    ) -> dict[str, Any]:
        """A company's request for quotation; `sellers` sell its products."""
        parsed = parse(Wanted, wanted)
        decided = self.state.decide_request(company_id, by, currency, parsed, sellers, ctx.now())
        self._record(ctx, decided)
        return self.view_state()

    @command
    async def offer(self, ctx: CallContext, by: str, terms: dict[str, Any]) -> dict[str, Any]:
        """An offer: a unit price per requested line, valid for `valid_for_s`; it expires by
        alarm unless accepted first."""
        self._record(ctx, self.state.decide_offer(by, parse(OfferTerms, terms), ctx.now()))
        assert self.state.offer is not None
        ctx.set_alarm(EXPIRY_ALARM, self.state.offer.valid_until)
        return self.view_state()

    @command
    async def counter(self, ctx: CallContext, by: str, wanted: dict[str, Any]) -> dict[str, Any]:
        self._record(ctx, self.state.decide_counter(by, parse(Wanted, wanted), ctx.now()))
        ctx.cancel_alarm(EXPIRY_ALARM)
        return self.view_state()

    @command
    async def accept(
        self, ctx: CallContext, by: str, offer: int, terms: dict[str, Any]
    ) -> dict[str, Any]:
        """Accepts offer number `offer` before it expires; its order is made by the
        `quote_to_order` saga (the view's `conversion` names it). Accepting again is the
        same acceptance."""
        decided = self.state.decide_accept(by, offer, parse(OrderTerms, terms), ctx.now())
        self._record(ctx, decided)
        if decided:
            ctx.cancel_alarm(EXPIRY_ALARM)
            ctx.set_alarm(CONVERT_ALARM, ctx.now())
        return self.view_state()

    @command
    async def retry_order(self, ctx: CallContext, by: str, terms: dict[str, Any]) -> dict[str, Any]:
        """After a failed try at the order: another try, with these terms."""
        decided = self.state.decide_retry_conversion(by, parse(OrderTerms, terms), ctx.now())
        self._record(ctx, decided)
        ctx.set_alarm(CONVERT_ALARM, ctx.now())
        return self.view_state()

    @command
    async def order_failed(self, ctx: CallContext, attempt: int, reason: str) -> dict[str, Any]:
        """Try `attempt` was compensated: the quote stays accepted, saying why."""
        self._record(ctx, self.state.decide_conversion_failed(attempt, reason, ctx.now()))
        return self.view_state()

    @command
    async def converted(self, ctx: CallContext, attempt: int, order_id: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_convert(attempt, order_id, ctx.now()))
        return self.view_state()

    @command
    async def reject(self, ctx: CallContext, by: str, reason: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_reject(by, reason, ctx.now()))
        ctx.cancel_alarm(EXPIRY_ALARM)
        return self.view_state()

    @command
    async def withdraw(self, ctx: CallContext, by: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_withdraw(by, ctx.now()))
        ctx.cancel_alarm(EXPIRY_ALARM)
        return self.view_state()

    async def on_alarm(self, ctx: CallContext, name: str) -> None:
        state = self.state
        if name == EXPIRY_ALARM and state.offer is not None:
            self._record(ctx, state.decide_expire(state.offer.number, ctx.now()))
        elif name == CONVERT_ALARM and self._converting:
            saga = ctx.objects(Saga).get(conversion_id(self.key, state.attempt))
            await saga.call(Saga.start, saga_type=QUOTE_TO_ORDER, input=self.conversion_input())

    @query
    async def view(self, ctx: CallContext) -> dict[str, Any]:
        return self.view_state()

    @query
    async def order_terms(self, ctx: CallContext, attempt: int) -> dict[str, Any]:
        """What try `attempt` orders: the accepted offer's lines at their prices, the
        company's buyer, and the order terms; refused once another try is current."""
        state = self.state
        if not (self._converting and attempt == state.attempt):
            raise IllegalQuoteChange(
                f"try {attempt} is not the quote's current order (it is {state.status.value})",
                attempt=attempt,
                current=state.attempt,
            )
        assert state.offer is not None and state.order_terms is not None
        return {
            "quote_id": self.key,
            "company_id": state.company_id,
            "buyer_id": state.accepted_by,
            "currency": state.currency,
            "lines": [line.model_dump() for line in state.offer.lines],
            "terms": state.order_terms.model_dump(mode="json"),
        }

    @property
    def _converting(self) -> bool:
        state = self.state
        return state.status is QuoteStatus.ACCEPTED and state.conversion_failure is None

    def conversion_input(self) -> dict[str, Any]:
        return {"quote_id": self.key, "attempt": self.state.attempt}

    def _record(self, ctx: CallContext, events: Events) -> None:
        ctx.emit_all(events)
        for event_type, _ in events:
            if event_type in QUOTE_EVENTS:
                ctx.publish(event_type, self._as_published())

    def _as_published(self) -> dict[str, Any]:
        state = self.state
        return {
            "quote_id": self.key,
            "company_id": state.company_id or "",
            "requested_by": state.requested_by or "",
            "status": state.status.value,
            "offer": state.offer.number if state.offer else None,
            "total": state.offer.total if state.offer else None,
            "currency": state.currency,
            "valid_until": state.offer.valid_until if state.offer else None,
            "order_id": state.order_id,
            "reason": state.conversion_failure or state.reason,
        }

    def view_state(self) -> dict[str, Any]:
        state = self.state
        view: dict[str, Any] = {"quote_id": self.key, **state.model_dump(mode="json")}
        terms = state.order_terms
        view["order_terms"] = (
            terms.model_dump(mode="json", exclude={"payment_token"}) if terms else None
        )
        if state.status is QuoteStatus.ACCEPTED or state.status is QuoteStatus.CONVERTED:
            view["conversion"] = {
                "saga_id": conversion_id(self.key, state.attempt),
                "attempt": state.attempt,
                "failure": state.conversion_failure,
            }
        else:
            view["conversion"] = None
        return view


async def stop_open_quotes(objects: Objects, company_id: str, reason: str) -> int:
    """Rejects every open quote of the company (a suspension); how many it stopped."""
    quotes = objects(Quote)
    stopped = 0
    for status in OPEN:
        for row in await quotes.list(owner=company_id, status=status.value, limit=10_000):
            await quotes.get(row.stream).call(Quote.reject, by="system", reason=reason)
            stopped += 1
    return stopped
