"""Liveness (the replica answers) and readiness (the shop can sell: identity, catalog,
coupons, the event bus, a shop host and the password service answer, and at least one
warehouse, found from what is stored, can ship)."""

import asyncio
import logging

from fastapi import APIRouter, Request
from pydantic import BaseModel

from actors.cart import Cart
from actors.catalog import CATALOG_KEY, Catalog
from actors.coupons import COUPONS_KEY, Coupons
from actors.shipping import warehouse_sites
from actors.users import USERS_KEY, Users
from durable import BUS_KEY, EventBus
from serve_app.errors import ApiError
from serve_app.routes.deps import services
from serve_app.strict_json import StrictJsonRoute

log = logging.getLogger(__name__)
router = APIRouter(route_class=StrictJsonRoute, tags=["health"])
READY_TIMEOUT_S = 5.0


class Health(BaseModel):
    status: str


@router.get("/health/live", response_model=Health)
async def live() -> Health:
    return Health(status="ok")


@router.get("/health/ready", response_model=Health, responses={503: {"description": "not ready"}})
async def ready(request: Request) -> Health:
    found = services(request)
    shop = found.shop
    probes = (
        shop(Users).get(USERS_KEY).call(Users.credentials, email="readiness@probe.invalid"),
        shop(Catalog).get(CATALOG_KEY).call(Catalog.categories),
        shop(Coupons).get(COUPONS_KEY).call(Coupons.issued),
        shop(EventBus).get(BUS_KEY).call(EventBus.heads),
        shop(Cart).get("readiness-probe").call(Cart.view),
        found.passwords.ready.remote(),
        warehouse_sites(shop),
    )
    try:
        *_, sites = await asyncio.wait_for(asyncio.gather(*probes), READY_TIMEOUT_S)
    except Exception as exc:
        log.warning("not ready: %r", exc)
        raise ApiError(503, "not_ready", "the shop's objects do not answer yet") from None
    if not sites:
        raise ApiError(503, "not_ready", "the shop has no warehouse to ship from")
    return Health(status="ready")
