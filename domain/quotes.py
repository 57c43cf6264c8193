"""A wholesale quote (ARCHITECTURE §7, seed 000's Quote context): one request for quotation
and its whole negotiation.

REQUESTED -> QUOTED (an offer: a unit price per line and a validity) -> COUNTERED (the buyer
asks again) -> QUOTED ... -> ACCEPTED (the current offer, before it expires) -> CONVERTED
(its order was placed and paid). Either side may reject an open quote; the buyer may
withdraw it; an offer nobody accepted in time EXPIRES. An accepted quote whose order could
not be made stays ACCEPTED with the reason, and the buyer may try again; it converts at most
once. Every round is kept in the history with who and when.
"""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.errors import DomainError
from domain.quote_terms import OfferedLine, OfferTerms, OrderTerms, Wanted, WantedLine

Events = list[tuple[str, dict[str, Any]]]


class QuoteStatus(StrEnum):
    NEW = "NEW"  # no event yet: the object exists only as a key
    REQUESTED = "REQUESTED"
    QUOTED = "QUOTED"
    COUNTERED = "COUNTERED"
    ACCEPTED = "ACCEPTED"
    CONVERTED = "CONVERTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"


OPEN = (QuoteStatus.REQUESTED, QuoteStatus.QUOTED, QuoteStatus.COUNTERED)
"""Still being negotiated: what a rejection, a withdrawal or a suspension ends."""
AWAITING_SELLER = (QuoteStatus.REQUESTED, QuoteStatus.COUNTERED)


class IllegalQuoteChange(DomainError):
    code = "illegal_transition"


class InvalidOffer(DomainError):
    code = "invalid_offer"


class OfferReplaced(DomainError):
    code = "offer_replaced"


class QuoteExpired(DomainError):
    code = "quote_expired"


def conversion_id(quote_id: str, attempt: int) -> str:
    """The checkout that makes try `attempt` at a quote's order. The quote's id is its hash
    tag, so the saga, order, payment and shipments live in the quote's partition."""
    return f"qo-{attempt}-{{{quote_id}}}"


class Offer(BaseModel):
    number: int
    lines: list[OfferedLine]
    valid_until: float
    by: str
    note: str = ""

    @property
    def total(self) -> int:
        return sum(line.unit_price * line.quantity for line in self.lines)


class Round(BaseModel):
    """One step of the negotiation, as the history shows it."""

    action: str
    by: str
    at: float
    details: dict[str, Any] = Field(default_factory=dict)


class QuoteState(BaseModel):
    status: QuoteStatus = QuoteStatus.NEW
    company_id: str | None = None
    requested_by: str | None = None
    currency: str | None = None
    wanted: list[WantedLine] = Field(default_factory=list)
    """The buyer's lines as they stand: the request, or the latest counter."""
    sellers: list[str] = Field(default_factory=list)
    """Who sells the requested products: a seller answers a quote whose lines are all theirs."""
    offer: Offer | None = None
    accepted_offer: int | None = None
    attempt: int = 0
    """Tries at making the accepted offer's order: each its own checkout."""
    order_terms: OrderTerms | None = None
    accepted_by: str | None = None
    """The member whose order the accepted offer becomes (the latest try's)."""
    conversion_failure: str | None = None
    order_id: str | None = None
    reason: str | None = None
    history: list[Round] = Field(default_factory=list)

    @property
    def requested_skus(self) -> set[str]:
        """Every SKU the buyer ever asked for (a counter may drop some, never add)."""
        asked = {line.sku for line in self.wanted}
        for round_ in self.history:
            asked |= {line["sku"] for line in round_.details.get("lines", [])}
        return asked

    # decisions

    def decide_request(
        self, company_id: str, by: str, currency: str, wanted: Wanted, sellers: list[str], at: float
    ) -> Events:
        if self.status is not QuoteStatus.NEW:
            raise IllegalQuoteChange("the quote was requested already")
        data = {
            "company_id": company_id,
            "by": by,
            "at": at,
            "currency": currency,
            "sellers": sorted(set(sellers)),
            **wanted.model_dump(),
        }
        return [("QuoteRequested", data)]

    def decide_offer(self, by: str, terms: OfferTerms, at: float) -> Events:
        self._require(*AWAITING_SELLER, action="offer")
        offered = {line.sku for line in terms.lines}
        wanted = {line.sku for line in self.wanted}
        if offered != wanted:
            raise InvalidOffer(
                "an offer prices exactly the lines the buyer asks for",
                missing=sorted(wanted - offered),
                not_requested=sorted(offered - wanted),
            )
        number = (self.offer.number if self.offer else 0) + 1
        data = {
            "number": number,
            "lines": [line.model_dump() for line in terms.lines],
            "valid_until": at + terms.valid_for_s,
            "note": terms.note,
            "by": by,
            "at": at,
        }
        return [("QuoteOffered", data)]

    def decide_counter(self, by: str, wanted: Wanted, at: float) -> Events:
        self._require_live_offer(at, action="counter")
        strangers = {line.sku for line in wanted.lines} - self.requested_skus
        if strangers:
            raise InvalidOffer(
                "a counter changes the requested lines, it adds none",
                not_requested=sorted(strangers),
            )
        return [("QuoteCountered", {"by": by, "at": at, **wanted.model_dump()})]

    def decide_accept(self, by: str, offer_number: int, terms: OrderTerms, at: float) -> Events:
        if self.status in (QuoteStatus.ACCEPTED, QuoteStatus.CONVERTED):
            if self.accepted_offer == offer_number:
                return []  # accepted already: the same acceptance
            raise OfferReplaced("another offer was accepted", accepted=self.accepted_offer)
        offer = self._require_live_offer(at, action="accept")
        if offer.number != offer_number:
            raise OfferReplaced(
                f"offer {offer_number} was replaced by offer {offer.number}",
                current=offer.number,
            )
        data = {"by": by, "at": at, "offer": offer_number, "attempt": 1, "terms": _dump(terms)}
        return [("QuoteAccepted", data)]

    def decide_retry_conversion(self, by: str, terms: OrderTerms, at: float) -> Events:
        """The buyer tries the accepted offer's order again, once its cause is fixed (with
        other terms if need be: another card, another address)."""
        self._require(QuoteStatus.ACCEPTED, action="retry the order of")
        if self.conversion_failure is None:
            raise IllegalQuoteChange("the quote's order is being made", attempt=self.attempt)
        data = {"by": by, "at": at, "attempt": self.attempt + 1, "terms": _dump(terms)}
        return [("QuoteConversionRetried", data)]

    def decide_conversion_failed(self, attempt: int, reason: str, at: float) -> Events:
        if self.status is not QuoteStatus.ACCEPTED or attempt != self.attempt:
            return []  # converted meanwhile, or an older try's late word
        if self.conversion_failure is not None:
            return []
        return [("QuoteConversionFailed", {"attempt": attempt, "reason": reason, "at": at})]

    def decide_convert(self, attempt: int, order_id: str, at: float) -> Events:
        if self.status is QuoteStatus.CONVERTED:
            if self.order_id == order_id:
                return []
            raise IllegalQuoteChange("the quote was converted already", order_id=self.order_id)
        self._require(QuoteStatus.ACCEPTED, action="convert")
        if attempt != self.attempt or self.conversion_failure is not None:
            raise IllegalQuoteChange("not the quote's current order", attempt=self.attempt)
        return [("QuoteConverted", {"attempt": attempt, "order_id": order_id, "at": at})]

    def decide_reject(self, by: str, reason: str, at: float) -> Events:
        if self.status is QuoteStatus.REJECTED:
            return []
        self._require(*OPEN, action="reject")
        return [("QuoteRejected", {"by": by, "reason": reason, "at": at})]

    def decide_withdraw(self, by: str, at: float) -> Events:
        if self.status is QuoteStatus.WITHDRAWN:
            return []
        self._require(*OPEN, action="withdraw")
        return [("QuoteWithdrawn", {"by": by, "at": at})]

    def decide_expire(self, offer_number: int, at: float) -> Events:
        """The alarm of offer `offer_number`: nothing if it was replaced or answered."""
        offer = self.offer
        live = self.status is QuoteStatus.QUOTED and offer is not None
        if not live or offer is None or offer.number != offer_number or at < offer.valid_until:
            return []
        return [("QuoteExpired", {"offer": offer_number, "at": at})]

    def _require_live_offer(self, at: float, *, action: str) -> Offer:
        self._require(QuoteStatus.QUOTED, action=action)
        assert self.offer is not None  # QUOTED always has one
        if at >= self.offer.valid_until:
            raise QuoteExpired("the offer has expired", valid_until=self.offer.valid_until)
        return self.offer

    def _require(self, *allowed: QuoteStatus, action: str) -> None:
        if self.status not in allowed:
            raise IllegalQuoteChange(
                f"cannot {action} a quote that is {self.status.value}",
                status=self.status.value,
                action=action,
            )

    # folding

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        match event_type:
            case "QuoteRequested":
                self.status = QuoteStatus.REQUESTED
                self.company_id, self.requested_by = data["company_id"], data["by"]
                self.currency, self.sellers = data["currency"], data["sellers"]
                self.wanted = [WantedLine.model_validate(line) for line in data["lines"]]
            case "QuoteOffered":
                self.status = QuoteStatus.QUOTED
                self.offer = Offer.model_validate(data)
            case "QuoteCountered":
                self.status = QuoteStatus.COUNTERED
                self.wanted = [WantedLine.model_validate(line) for line in data["lines"]]
            case "QuoteAccepted":
                self.status, self.accepted_offer = QuoteStatus.ACCEPTED, data["offer"]
                self.attempt, self.accepted_by = data["attempt"], data["by"]
                self.order_terms = OrderTerms.model_validate(data["terms"])
            case "QuoteConversionRetried":
                self.attempt, self.conversion_failure = data["attempt"], None
                self.accepted_by = data["by"]
                self.order_terms = OrderTerms.model_validate(data["terms"])
            case "QuoteConversionFailed":
                self.conversion_failure = data["reason"]
            case "QuoteConverted":
                self.status, self.order_id = QuoteStatus.CONVERTED, data["order_id"]
            case "QuoteRejected":
                self.status, self.reason = QuoteStatus.REJECTED, data["reason"]
            case "QuoteWithdrawn":
                self.status = QuoteStatus.WITHDRAWN
            case "QuoteExpired":
                self.status = QuoteStatus.EXPIRED
        self.history.append(_round(event_type, data))


ACTIONS = {
    "QuoteRequested": "requested",
    "QuoteOffered": "offered",
    "QuoteCountered": "countered",
    "QuoteAccepted": "accepted",
    "QuoteConversionRetried": "order_retried",
    "QuoteConversionFailed": "order_failed",
    "QuoteConverted": "converted",
    "QuoteRejected": "rejected",
    "QuoteWithdrawn": "withdrawn",
    "QuoteExpired": "expired",
}


def _round(event_type: str, data: dict[str, Any]) -> Round:
    details = {k: v for k, v in data.items() if k not in ("by", "at")}
    return Round(
        action=ACTIONS[event_type], by=data.get("by", "system"), at=data["at"], details=details
    )


def _dump(terms: OrderTerms) -> dict[str, Any]:
    return terms.model_dump(mode="json")
