"""The quote state machine: every legal and illegal transition, and (hypothesis) any sequence
of actions leaves a quote in a legal state that converts at most once."""

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.quote_terms import OfferTerms, OrderTerms, Wanted
from domain.quotes import (
    IllegalQuoteChange,
    InvalidOffer,
    OfferReplaced,
    QuoteExpired,
    QuoteState,
    QuoteStatus,
)

T0 = 1_000.0
WANTED = Wanted.model_validate(
    {"lines": [{"sku": "TEA", "quantity": 100}, {"sku": "MUG", "quantity": 20}]}
)
TERMS = OrderTerms.model_validate(
    {
        "address": {
            "recipient": "Ani",
            "line1": "Jl. Thamrin 1",
            "city": "Jakarta",
            "region": "ID-JK",
            "postal_code": "10110",
        }
    }
)
COUNTER = Wanted.model_validate(
    {"lines": [{"sku": "TEA", "quantity": 200, "target_unit_price": 9}]}
)


def offer_terms(*skus: str, valid_for_s: float = 600) -> OfferTerms:
    lines = [{"sku": sku, "quantity": 100, "unit_price": 10} for sku in skus]
    return OfferTerms.model_validate({"lines": lines, "valid_for_s": valid_for_s})


def run(quote: QuoteState, events: list[tuple[str, dict[str, Any]]]) -> QuoteState:
    for event_type, data in events:
        quote.apply(event_type, data)
    return quote


def requested() -> QuoteState:
    quote = QuoteState()
    return run(quote, quote.decide_request("cmp-1", "u-buyer", "IDR", WANTED, ["s-1"], T0))


def quoted() -> QuoteState:
    quote = requested()
    return run(quote, quote.decide_offer("u-admin", offer_terms("TEA", "MUG"), T0 + 1))


def in_status(status: QuoteStatus) -> QuoteState:
    quote = QuoteState() if status is QuoteStatus.NEW else requested()
    steps: dict[QuoteStatus, Callable[[QuoteState], Any]] = {
        QuoteStatus.QUOTED: lambda q: q.decide_offer("a", offer_terms("TEA", "MUG"), T0 + 1),
        QuoteStatus.COUNTERED: lambda q: q.decide_counter("u-buyer", COUNTER, T0 + 2),
        QuoteStatus.ACCEPTED: lambda q: q.decide_accept("u-buyer", 1, TERMS, T0 + 2),
        QuoteStatus.CONVERTED: lambda q: q.decide_convert(1, "ord-1", T0 + 3),
        QuoteStatus.REJECTED: lambda q: q.decide_reject("a", "no stock", T0 + 2),
        QuoteStatus.WITHDRAWN: lambda q: q.decide_withdraw("u-buyer", T0 + 2),
        QuoteStatus.EXPIRED: lambda q: q.decide_expire(1, T0 + 10_000),
    }
    path = {
        QuoteStatus.QUOTED: [QuoteStatus.QUOTED],
        QuoteStatus.COUNTERED: [QuoteStatus.QUOTED, QuoteStatus.COUNTERED],
        QuoteStatus.ACCEPTED: [QuoteStatus.QUOTED, QuoteStatus.ACCEPTED],
        QuoteStatus.CONVERTED: [QuoteStatus.QUOTED, QuoteStatus.ACCEPTED, QuoteStatus.CONVERTED],
        QuoteStatus.REJECTED: [QuoteStatus.REJECTED],
        QuoteStatus.WITHDRAWN: [QuoteStatus.WITHDRAWN],
        QuoteStatus.EXPIRED: [QuoteStatus.QUOTED, QuoteStatus.EXPIRED],
    }
    for step in path.get(status, []):
        run(quote, steps[step](quote))
    assert quote.status is status
    return quote


ACTIONS: dict[str, Callable[[QuoteState], Any]] = {
    "request": lambda q: q.decide_request("cmp-1", "u-buyer", "IDR", WANTED, [], T0 + 5),
    "offer": lambda q: q.decide_offer(
        "a", offer_terms(*[w.sku for w in q.wanted] or ["TEA"]), T0 + 5
    ),
    "counter": lambda q: q.decide_counter("u-buyer", COUNTER, T0 + 5),
    "accept": lambda q: q.decide_accept("u-buyer", q.offer.number if q.offer else 1, TERMS, T0 + 5),
    "reject": lambda q: q.decide_reject("a", "no", T0 + 5),
    "withdraw": lambda q: q.decide_withdraw("u-buyer", T0 + 5),
    "expire": lambda q: q.decide_expire(q.offer.number if q.offer else 1, T0 + 10_000),
    "convert": lambda q: q.decide_convert(q.attempt, "ord-1", T0 + 5),
    "order_failed": lambda q: q.decide_conversion_failed(q.attempt, "out of stock", T0 + 5),
}
CHANGES = {
    QuoteStatus.NEW: {"request"},
    QuoteStatus.REQUESTED: {"offer", "reject", "withdraw"},
    QuoteStatus.QUOTED: {"counter", "accept", "reject", "withdraw", "expire"},
    QuoteStatus.COUNTERED: {"offer", "reject", "withdraw"},
    QuoteStatus.ACCEPTED: {"convert", "order_failed"},
    QuoteStatus.CONVERTED: set(),
    QuoteStatus.REJECTED: set(),
    QuoteStatus.WITHDRAWN: set(),
    QuoteStatus.EXPIRED: set(),
}


@pytest.mark.parametrize("status", list(QuoteStatus))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_changes_exactly_the_states_it_may(status: QuoteStatus, action: str) -> None:
    quote = in_status(status)
    try:
        changed = bool(ACTIONS[action](quote))
    except DomainError:
        changed = False
    assert changed is (action in CHANGES[status]), f"{action} on {status.value}"


def test_a_negotiation_of_two_rounds_converts_with_its_history() -> None:
    quote = quoted()
    run(quote, quote.decide_counter("u-buyer", COUNTER, T0 + 2))
    run(quote, quote.decide_offer("u-admin", offer_terms("TEA"), T0 + 3))
    assert quote.offer is not None and quote.offer.number == 2
    run(quote, quote.decide_accept("u-buyer", 2, TERMS, T0 + 4))
    run(quote, quote.decide_convert(1, "ord-1", T0 + 5))
    assert quote.status is QuoteStatus.CONVERTED and quote.order_id == "ord-1"
    assert [r.action for r in quote.history] == [
        "requested",
        "offered",
        "countered",
        "offered",
        "accepted",
        "converted",
    ]
    assert [r.by for r in quote.history][:3] == ["u-buyer", "u-admin", "u-buyer"]


def test_an_offer_prices_exactly_the_requested_lines() -> None:
    quote = requested()
    with pytest.raises(InvalidOffer) as missing:
        quote.decide_offer("a", offer_terms("TEA"), T0)
    assert missing.value.details["missing"] == ["MUG"]
    with pytest.raises(InvalidOffer) as extra:
        quote.decide_offer("a", offer_terms("TEA", "MUG", "BAG"), T0)
    assert extra.value.details["not_requested"] == ["BAG"]


def test_a_counter_adds_no_product() -> None:
    quote = quoted()
    stranger = Wanted.model_validate({"lines": [{"sku": "BAG", "quantity": 1}]})
    with pytest.raises(InvalidOffer):
        quote.decide_counter("u-buyer", stranger, T0 + 2)


def test_a_replaced_or_expired_offer_cannot_be_accepted() -> None:
    quote = quoted()
    run(quote, quote.decide_counter("u-buyer", COUNTER, T0 + 2))
    run(quote, quote.decide_offer("a", offer_terms("TEA"), T0 + 3))
    with pytest.raises(OfferReplaced):
        quote.decide_accept("u-buyer", 1, TERMS, T0 + 4)
    assert quote.offer is not None
    with pytest.raises(QuoteExpired):
        quote.decide_accept("u-buyer", 2, TERMS, quote.offer.valid_until)
    assert quote.decide_expire(1, T0 + 10_000) == [], "the replaced offer's alarm does nothing"


def test_accepting_twice_is_one_acceptance() -> None:
    quote = quoted()
    run(quote, quote.decide_accept("u-buyer", 1, TERMS, T0 + 2))
    assert quote.decide_accept("u-buyer", 1, TERMS, T0 + 3) == []


def test_a_failed_order_is_retried_as_a_new_attempt_and_converts_once() -> None:
    quote = in_status(QuoteStatus.ACCEPTED)
    with pytest.raises(IllegalQuoteChange):
        quote.decide_retry_conversion("u-buyer", TERMS, T0 + 3)  # the first try is still running
    run(quote, quote.decide_conversion_failed(1, "insufficient_stock", T0 + 3))
    assert (quote.status, quote.conversion_failure) == (QuoteStatus.ACCEPTED, "insufficient_stock")
    with pytest.raises(IllegalQuoteChange):
        quote.decide_convert(1, "ord-1", T0 + 4)  # the failed try cannot convert
    run(quote, quote.decide_retry_conversion("u-buyer", TERMS, T0 + 4))
    assert quote.decide_conversion_failed(1, "late word of the first try", T0 + 5) == []
    run(quote, quote.decide_convert(2, "ord-2", T0 + 5))
    assert quote.decide_convert(2, "ord-2", T0 + 6) == []
    with pytest.raises(IllegalQuoteChange):
        quote.decide_convert(3, "ord-3", T0 + 6)


MOVES = st.sampled_from(
    [*ACTIONS, "retry", "accept_old", "convert_old", "counter_late", "offer_partial"]
)
EXTRA: dict[str, Callable[[QuoteState], Any]] = {
    "retry": lambda q: q.decide_retry_conversion("u-buyer", TERMS, T0 + 6),
    "accept_old": lambda q: q.decide_accept("u-buyer", 1, TERMS, T0 + 6),
    "convert_old": lambda q: q.decide_convert(max(q.attempt - 1, 0), "ord-0", T0 + 6),
    "counter_late": lambda q: q.decide_counter("u-buyer", COUNTER, T0 + 10_000),
    "offer_partial": lambda q: q.decide_offer("a", offer_terms("TEA"), T0 + 6),
}


@given(st.lists(MOVES, max_size=30))
def test_any_sequence_leaves_a_legal_quote_with_at_most_one_order(moves: list[str]) -> None:
    quote, orders, applied = QuoteState(), [], 0
    for move in moves:
        try:
            events = {**ACTIONS, **EXTRA}[move](quote)
        except DomainError:
            continue
        run(quote, events)
        applied += len(events)
        orders += [data["order_id"] for kind, data in events if kind == "QuoteConverted"]
        assert quote.status in CHANGES
        if quote.status is not QuoteStatus.NEW:
            assert quote.company_id == "cmp-1" and quote.wanted
        if quote.status in (QuoteStatus.QUOTED, QuoteStatus.ACCEPTED, QuoteStatus.EXPIRED):
            assert quote.offer is not None
        if quote.accepted_offer is not None:
            assert quote.offer is not None and quote.accepted_offer <= quote.offer.number
    assert len(orders) <= 1, "never two orders"
    assert (quote.status is QuoteStatus.CONVERTED) == bool(orders)
    assert len(quote.history) == applied, "every change is a round of the history"
