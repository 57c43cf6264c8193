"""Wholesale quotes over HTTP (ARCHITECTURE §7, §8 `quotes`): members of an approved company
request, counter, accept, withdraw and reject; the seller of every requested product, or an
admin, offers and rejects. Accepting starts the `quote_to_order` saga; `?wait=true` answers
when it has ended or waits for a QRIS or virtual-account payment.

Who may see a quote: its company's members (as their role allows), its seller, admins;
anyone else gets 404, whether or not it exists."""

import asyncio
import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from actors.catalog import CATALOG_KEY, Catalog
from actors.company import Company
from actors.payment import PENDING_METHODS, Payment
from actors.quote import QUOTE_TO_ORDER, Quote
from domain.companies import NotAMember, Permission
from domain.orders import SHOP_SELLER
from domain.quote_terms import OfferTerms, OrderTerms, Wanted
from domain.quotes import AWAITING_SELLER, QuoteStatus
from durable import ObjectStub, Saga
from sagas.checkout.models import SaleInput
from serve_app.errors import ApiError
from serve_app.payment_views import PaymentView, payment_view
from serve_app.routes.companies import my_company
from serve_app.routes.deps import current_user, require_admin, services
from serve_app.schemas import QuoteView, Responses
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["quotes"])
User = Annotated[Principal, Depends(current_user)]
Admin = Annotated[Principal, Depends(require_admin)]
QUOTE_ID = Path(min_length=1, max_length=40, pattern=r"^q-[0-9a-f]+$")
QuoteId = Annotated[str, QUOTE_ID]
SEEN: Responses = {
    401: {"description": "not signed in"},
    403: {"description": "your role does not allow it"},
    404: {"description": "no such quote"},
    409: {"description": "not from the quote's status"},
}
ENDED = ("completed", "compensated", "stuck")


class AcceptOffer(OrderTerms):
    """Accepts offer number `offer` (the current one), to be shipped and paid as given."""

    offer: int = Field(ge=1)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class QuoteOrder(BaseModel):
    """An accepted quote and its order's saga as it stands."""

    quote: QuoteView
    saga_id: str
    status: str
    """The saga's: running (or waiting to be paid), completed, compensated."""
    order_id: str
    payment: PaymentView | None = None
    """A QRIS or virtual-account payment waiting to be paid: its instructions."""


def _quote(request: Request, quote_id: str) -> ObjectStub[Quote]:
    return services(request).shop(Quote).get(quote_id)


def answers(quote: dict[str, Any], principal: Principal) -> bool:
    """An admin answers any quote; a seller those whose products are all theirs."""
    return principal.has("admin") or (
        principal.has("seller") and quote["sellers"] == [principal.user_id]
    )


async def _as_member(
    request: Request, principal: Principal, quote: dict[str, Any], permission: Permission
) -> None:
    company = services(request).shop(Company).get(quote["company_id"])
    await company.call(Company.require, user_id=principal.user_id, permission=permission.value)


async def seen_quote(request: Request, principal: Principal, quote_id: str) -> Any:
    """The quote, if the caller may see it; 404 otherwise."""
    quote = await _quote(request, quote_id).call(Quote.view)
    if quote["status"] == QuoteStatus.NEW:
        raise ApiError(404, "not_found", "no such quote")
    if not answers(quote, principal):
        await _as_member(request, principal, quote, Permission.VIEW)
    return quote


async def buyers_quote(request: Request, principal: Principal, quote_id: str) -> Any:
    """The quote, if the caller is a member of its company who may purchase (403 for a
    viewer or a company that is not approved, 404 for outsiders)."""
    quote = await seen_quote(request, principal, quote_id)
    await _as_member(request, principal, quote, Permission.PURCHASE)
    return quote


async def answered_quote(request: Request, principal: Principal, quote_id: str) -> Any:
    """The quote, if the caller answers it: its seller or an admin."""
    quote = await seen_quote(request, principal, quote_id)
    if not answers(quote, principal):
        raise ApiError(403, "forbidden", "the seller of every line, or an admin, answers")
    return quote


@router.post(
    "/quotes",
    response_model=QuoteView,
    status_code=201,
    responses={
        401: {"description": "not signed in"},
        403: {"description": "members of an approved company who may purchase only"},
        404: {"description": "a product is not on sale"},
    },
)
async def request_quote(body: Wanted, request: Request, principal: User) -> Any:
    """A request for quotation for the caller's company: a quantity (and optionally a
    target price and note) per product."""
    if not principal.has("buyer"):
        raise ApiError(403, "forbidden", "only wholesale buyers request quotes")
    try:
        company = await my_company(request, principal, Permission.PURCHASE)
    except (ApiError, NotAMember):
        raise ApiError(403, "forbidden", "join or register an approved company first") from None
    skus = [line.sku for line in body.lines]
    catalog = services(request).shop(Catalog).get(CATALOG_KEY)
    facts = await catalog.call(Catalog.facts, skus=skus)
    currencies = {fact["currency"] for fact in facts.values()}
    if len(currencies) > 1:
        raise ApiError(422, "invalid_input", "one quote is in one currency", currencies=currencies)
    quote_id = f"q-{uuid.uuid4().hex[:16]}"
    return await _quote(request, quote_id).call(
        Quote.request,
        company_id=company["company_id"],
        by=principal.user_id,
        currency=currencies.pop(),
        wanted=body.model_dump(),
        sellers=[fact["seller_id"] or SHOP_SELLER for fact in facts.values()],
    )


@router.get(
    "/quotes",
    response_model=list[QuoteView],
    responses={401: {"description": "not signed in"}, 404: {"description": "no company"}},
)
async def company_quotes(
    request: Request,
    principal: User,
    status: Annotated[QuoteStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Any]:
    """The quotes of the caller's company, newest first."""
    company = await my_company(request, principal, Permission.VIEW)
    quotes = services(request).shop(Quote)
    rows = await quotes.list(
        owner=company["company_id"], status=status.value if status else None, limit=limit
    )
    return await _views(quotes, sorted(rows, key=lambda r: -r.created_at))


@router.get("/seller/quotes", response_model=list[QuoteView], responses=SEEN)
async def seller_quotes(request: Request, principal: User) -> list[Any]:
    """Quotes waiting for the caller's answer: requested or countered, for products all
    the caller's own."""
    if not principal.has("seller"):
        raise ApiError(403, "forbidden", "sellers only")
    quotes = services(request).shop(Quote)
    found = []
    for status in AWAITING_SELLER:
        rows = await quotes.list(status=status.value, limit=10_000)
        found += [q for q in await _views(quotes, rows) if q["sellers"] == [principal.user_id]]
    return sorted(found, key=lambda q: q["history"][0]["at"])


@router.get("/admin/quotes", response_model=list[QuoteView], tags=["admin"])
async def all_quotes(
    request: Request,
    admin: Admin,
    status: Annotated[QuoteStatus | None, Query()] = None,
    older_than_s: Annotated[float, Query(ge=0, le=10 * 365 * 86_400)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Any]:
    """Every quote, filtered by status and by age (requested at least `older_than_s` ago)."""
    quotes = services(request).shop(Quote)
    rows = await quotes.list(status=status.value if status else None, limit=limit)
    cutoff = time.time() - older_than_s
    return await _views(quotes, [row for row in rows if row.created_at <= cutoff])


@router.get("/quotes/{quote_id}", response_model=QuoteView, responses=SEEN)
async def quote_detail(quote_id: QuoteId, request: Request, principal: User) -> Any:
    return await seen_quote(request, principal, quote_id)


@router.post("/quotes/{quote_id}/offer", response_model=QuoteView, responses=SEEN)
async def offer(quote_id: QuoteId, body: OfferTerms, request: Request, principal: User) -> Any:
    """An offer: a unit price per requested line, valid for `valid_for_s` seconds."""
    await answered_quote(request, principal, quote_id)
    return await _quote(request, quote_id).call(
        Quote.offer, by=principal.user_id, terms=body.model_dump()
    )


@router.post("/quotes/{quote_id}/counter", response_model=QuoteView, responses=SEEN)
async def counter(quote_id: QuoteId, body: Wanted, request: Request, principal: User) -> Any:
    """The buyer asks again: other quantities or target prices for the requested lines."""
    await buyers_quote(request, principal, quote_id)
    return await _quote(request, quote_id).call(
        Quote.counter, by=principal.user_id, wanted=body.model_dump()
    )


@router.post(
    "/quotes/{quote_id}/accept",
    response_model=QuoteOrder,
    status_code=202,
    responses={**SEEN, 200: {"description": "its order ended (with ?wait=true)"}},
)
async def accept(
    quote_id: QuoteId,
    body: AcceptOffer,
    request: Request,
    response: Response,
    principal: User,
    wait: Annotated[bool, Query(description="answer when the order has ended")] = False,
) -> QuoteOrder:
    """Accepts the current offer before it expires; its order is made at the quoted prices
    and quantities. Accepting again (or twice at once) is one acceptance and one order."""
    await buyers_quote(request, principal, quote_id)
    terms = body.model_dump(mode="json", exclude={"offer"})
    accepted = await _quote(request, quote_id).call(
        Quote.accept, by=principal.user_id, offer=body.offer, terms=terms
    )
    return await _ordering(request, response, accepted, wait, body.payment_method)


@router.post(
    "/quotes/{quote_id}/retry-order",
    response_model=QuoteOrder,
    status_code=202,
    responses={**SEEN, 200: {"description": "its order ended (with ?wait=true)"}},
)
async def retry_order(
    quote_id: QuoteId,
    body: OrderTerms,
    request: Request,
    response: Response,
    principal: User,
    wait: Annotated[bool, Query(description="answer when the order has ended")] = False,
) -> QuoteOrder:
    """After the accepted offer's order failed (out of stock, declined): tries again, with
    these terms, once the cause is fixed."""
    await buyers_quote(request, principal, quote_id)
    retried = await _quote(request, quote_id).call(
        Quote.retry_order, by=principal.user_id, terms=body.model_dump(mode="json")
    )
    return await _ordering(request, response, retried, wait, body.payment_method)


@router.post("/quotes/{quote_id}/reject", response_model=QuoteView, responses=SEEN)
async def reject(quote_id: QuoteId, body: Reason, request: Request, principal: User) -> Any:
    """Either side ends the negotiation: the buyer (who may purchase), or who answers."""
    quote = await seen_quote(request, principal, quote_id)
    if not answers(quote, principal):
        await _as_member(request, principal, quote, Permission.PURCHASE)
    return await _quote(request, quote_id).call(
        Quote.reject, by=principal.user_id, reason=body.reason
    )


@router.post("/quotes/{quote_id}/withdraw", response_model=QuoteView, responses=SEEN)
async def withdraw(quote_id: QuoteId, request: Request, principal: User) -> Any:
    await buyers_quote(request, principal, quote_id)
    return await _quote(request, quote_id).call(Quote.withdraw, by=principal.user_id)


async def _ordering(
    request: Request, response: Response, quote: dict[str, Any], wait: bool, method: str
) -> QuoteOrder:
    """Where the accepted quote's order stands; with `wait`, once it ended or waits to be
    paid (the quote's alarm starts the saga in any case: starting it here is the same)."""
    conversion = quote["conversion"]
    sale = SaleInput(checkout_id=conversion["saga_id"], customer_id=quote["accepted_by"])
    shop = services(request).shop
    saga = shop(Saga).get(conversion["saga_id"])
    saga_input = {"quote_id": quote["quote_id"], "attempt": conversion["attempt"]}
    payment = None
    if wait:
        outcome = await saga.call(
            Saga.run,
            saga_type=QUOTE_TO_ORDER,
            input=saga_input,
            timeout_s=services(request).settings.saga_wait_s,
            until_waiting=True,
        )
        if outcome["status"] in ENDED:
            response.status_code = 200
        elif method in PENDING_METHODS:
            paid = shop(Payment).get(sale.payment_id)
            payment = payment_view(await paid.call(Payment.status))
        quote = await shop(Quote).get(quote["quote_id"]).call(Quote.view)
    else:
        outcome = await saga.call(Saga.start, saga_type=QUOTE_TO_ORDER, input=saga_input)
    return QuoteOrder(
        quote=QuoteView.model_validate(quote),
        saga_id=conversion["saga_id"],
        status=outcome["status"],
        order_id=sale.order_id,
        payment=payment,
    )


async def _views(quotes: Any, rows: list[Any]) -> list[Any]:
    return list(await asyncio.gather(*(quotes.get(row.stream).call(Quote.view) for row in rows)))
