"""What the shop's read models know, over HTTP (ARCHITECTURE §8, §9): sales analytics, low-stock
alerts and the mailbox for admins; each user's own mail."""

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from actors.analytics import ANALYTICS_KEY, Analytics
from actors.mail_for import ADMINS
from actors.notifications import MAILBOX_KEY, Notifications
from actors.stock_alerts import ALERTS_KEY, StockAlerts
from actors.users import USERS_KEY, Users
from serve_app.routes.deps import current_user, require_admin, services
from serve_app.schemas import Responses
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["admin"])
Admin = Annotated[Principal, Depends(require_admin)]
ADMINS_ONLY: Responses = {
    401: {"description": "not signed in"},
    403: {"description": "admins only"},
}
DAY = Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, UTC")
TOP_PRODUCTS = 10


class DayRevenue(BaseModel):
    day: str
    currency: str
    revenue: int
    units: int


class ProductSales(BaseModel):
    sku: str
    currency: str
    units: int
    revenue: int


class SalesAnalytics(BaseModel):
    """Confirmed orders' sales between two days, and how sagas ended."""

    revenue: dict[str, int]
    """Per currency."""
    refunds: dict[str, int]
    """Money refunded (cancelled orders), per currency."""
    revenue_by_day: list[DayRevenue]
    top_products: list[ProductSales]
    """By revenue, at most ten."""
    saga_outcomes: dict[str, dict[str, float]]
    """Per saga type: how many completed, compensated, got stuck; `compensation_rate`."""


class StockAlert(BaseModel):
    warehouse_id: str
    sku: str
    available: int
    threshold: int
    at: float


class Mail(BaseModel):
    message_id: str
    recipient: str
    subject: str
    body: str
    type: str
    at: float
    status: str
    """delivered (kept in the mailbox only), queued or sent (through the mail server)."""


@router.get("/admin/analytics", response_model=SalesAnalytics, responses=ADMINS_ONLY)
async def analytics(
    request: Request,
    admin: Admin,
    since: Annotated[str, DAY] = "0000-01-01",
    until: Annotated[str, DAY] = "9999-12-31",
) -> SalesAnalytics:
    board = services(request).shop(Analytics).get(ANALYTICS_KEY)
    sales = await board.call(Analytics.sales, since=since, until=until)
    by_day: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    by_product: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in sales:
        for totals in (
            by_day[row["day"], row["currency"]],
            by_product[row["sku"], row["currency"]],
        ):
            totals[0] += row["revenue"]
            totals[1] += row["units"]
    top = sorted(by_product.items(), key=lambda item: -item[1][0])[:TOP_PRODUCTS]
    return SalesAnalytics(
        revenue=await board.call(Analytics.revenue, since=since, until=until),
        refunds=await board.call(Analytics.refunds, since=since, until=until),
        revenue_by_day=[
            DayRevenue(day=day, currency=currency, revenue=revenue, units=units)
            for (day, currency), (revenue, units) in sorted(by_day.items())
        ],
        top_products=[
            ProductSales(sku=sku, currency=currency, revenue=revenue, units=units)
            for (sku, currency), (revenue, units) in top
        ],
        saga_outcomes=await board.call(Analytics.saga_outcomes),
    )


@router.get("/admin/stock-alerts", response_model=list[StockAlert], responses=ADMINS_ONLY)
async def stock_alerts(
    request: Request,
    admin: Admin,
    warehouse_id: Annotated[str | None, Query(max_length=40)] = None,
) -> list[dict[str, Any]]:
    """SKUs whose available units fell to their warehouse's threshold, newest first."""
    alerts = services(request).shop(StockAlerts).get(ALERTS_KEY)
    found: list[dict[str, Any]] = await alerts.call(StockAlerts.alerts, warehouse_id=warehouse_id)
    return found


@router.get("/admin/mailbox", response_model=list[Mail], responses=ADMINS_ONLY)
async def mailbox(
    request: Request,
    admin: Admin,
    recipient: Annotated[
        str, Query(min_length=1, max_length=254, description="an address, or `admins`")
    ] = ADMINS,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The mail to the admins (by default) or to one address, newest first."""
    box = services(request).shop(Notifications).get(MAILBOX_KEY)
    found: list[dict[str, Any]] = await box.call(
        Notifications.mailbox, recipient=recipient, limit=limit
    )
    return found


@router.get(
    "/me/notifications",
    response_model=list[Mail],
    tags=["auth"],
    responses={401: {"description": "not signed in"}},
)
async def my_notifications(
    request: Request,
    principal: Annotated[Principal, Depends(current_user)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The mail the shop sent the caller, newest first."""
    profile = (
        await services(request)
        .shop(Users)
        .get(USERS_KEY)
        .call(Users.profile, user_id=principal.user_id)
    )
    box = services(request).shop(Notifications).get(MAILBOX_KEY)
    found: list[dict[str, Any]] = await box.call(
        Notifications.mailbox, recipient=profile["email"], limit=limit
    )
    return found
