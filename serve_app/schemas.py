"""What the API answers, named, so `/openapi.json` documents every response (ARCHITECTURE §8).
Models a route shares with the domain (`Address`, `CouponTerms`, `Product`) are extended here
rather than copied."""

from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel

from actors.catalog import Product
from domain.cart import Address
from domain.coupons import CouponTerms
from domain.quote_terms import WantedLine
from domain.quotes import Offer, Round

Responses = dict[int | str, dict[str, Any]]
"""A route's documented answers besides its success (FastAPI's `responses=`)."""

SERVICE_NAME: dict[str, Any] = {"min_length": 1, "max_length": 40, "pattern": r"^[A-Z0-9_]+$"}
"""How a client names a carrier service (a field's constraints)."""
IDEMPOTENCY_KEY: dict[str, Any] = {
    "alias": "Idempotency-Key",
    "min_length": 8,
    "max_length": 64,
    "pattern": r"^[\w-]+$",
}
"""The header that makes a change safe to send again (a header's constraints)."""


class ProductListing(Product):
    list_price: int | None
    """One unit's price in the market searched (before tiers)."""


class SavedAddress(Address):
    address_id: str


class CompanyMember(BaseModel):
    user_id: str
    email: str
    role: str
    joined_at: float


class CompanyInvitation(BaseModel):
    email: str
    role: str
    invited_by: str
    at: float


class Company(BaseModel):
    """A wholesale company: wholesale prices and quotes only once `status` is approved."""

    company_id: str
    status: str
    name: str
    tax_id: str
    owner_id: str | None
    members: dict[str, CompanyMember]
    invitations: dict[str, CompanyInvitation]
    reason: str | None
    """Why an admin rejected or suspended it."""
    created_at: float
    reviewed_at: float | None
    role: str | None = None
    """The caller's company role."""


class QuoteConversionView(BaseModel):
    saga_id: str
    """The `quote_to_order` saga of the current try (see `admin/sagas/{id}`)."""
    attempt: int
    failure: str | None
    """Why the try failed; the buyer may try again (`retry-order`) once that is fixed."""


class QuoteView(BaseModel):
    """A request for quotation and its whole negotiation; `history` has every round."""

    quote_id: str
    status: str
    company_id: str | None
    requested_by: str | None
    currency: str | None
    wanted: list[WantedLine]
    """The buyer's lines as they stand: the request, or the latest counter."""
    sellers: list[str]
    offer: Offer | None
    """The current offer: `number` is what accepting names."""
    accepted_offer: int | None
    accepted_by: str | None
    order_terms: dict[str, Any] | None
    """How the accepted offer's order ships and is paid (the payment token not shown)."""
    conversion: QuoteConversionView | None
    order_id: str | None
    reason: str | None
    history: list[Round]


class IssuedCoupon(CouponTerms):
    redemptions: int


class WarehouseInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    warehouse_id: str
    name: str
    region: str
    latitude: float
    longitude: float
    low_stock_threshold: int
    active: bool = True
    """Taking new reservations."""


class StockLevel(BaseModel):
    available: int
    reserved: int
    allocated: int
    on_hand: int


class StockBySku(RootModel[dict[str, StockLevel]]):
    """Each SKU's level in one warehouse."""


class Reservation(BaseModel):
    reservation_id: str
    status: str
    lines: dict[str, int]
    expires_at: float
    updated_at: float


class SagaSummary(BaseModel):
    saga_id: str
    saga_type: str | None
    status: str
    failure: dict[str, Any] | None
    stuck_on: str | None
    result: Any
    steps: dict[str, str]
    waiting_for: list[str] = []
    """External events the running saga waits for (a payment its shopper has to make)."""


class SagaDetail(SagaSummary):
    timeline: list[dict[str, Any]]
    """Every journal entry with its time: steps, attempts, errors, compensations."""


class LagBySubscriber(RootModel[dict[str, dict[str, int]]]):
    """Events each subscriber has yet to apply, per topic."""


class DeadLetter(BaseModel):
    subscriber: str
    topic: str
    seq: int
    event_id: str
    error: str
    attempts: int
    at: float
    status: str


class StoryEvent(BaseModel):
    kind: str
    key: str
    seq: int
    type: str
    at: float
    data: dict[str, Any]


class Queued(BaseModel):
    status: str


class FaultArmed(BaseModel):
    armed_hosts: int
    point: str
