"""Warehouses and stock (ARCHITECTURE §8 `warehouses`, `inventory`): where the warehouses are
and how much of a SKU each can sell, for everyone; for admins, new warehouses, their
low-stock thresholds and deactivation, stock levels, restock, counted adjustments and
reservations."""

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from actors.shipping import configured_warehouses, warehouse_sites
from actors.warehouse import Warehouse
from durable import ObjectStub
from serve_app.errors import ApiError
from serve_app.routes.deps import require_admin, services
from serve_app.schemas import (
    IDEMPOTENCY_KEY,
    Reservation,
    Responses,
    StockBySku,
    StockLevel,
    WarehouseInfo,
)
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["inventory"])
Admin = Annotated[Principal, Depends(require_admin)]
WAREHOUSE_ID = Path(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
SKU_IN_PATH = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
ADMIN_ONLY: Responses = {
    401: {"description": "not signed in"},
    403: {"description": "admins only"},
    404: {"description": "no such warehouse"},
}
IdempotencyKey = Annotated[str, Header(**IDEMPOTENCY_KEY)]


class Restock(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    quantity: int = Field(ge=1, le=1_000_000)


class Adjustment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    counted_on_hand: int = Field(ge=0, le=10_000_000)
    reason: str = Field(default="stock count", min_length=1, max_length=200)


class NewWarehouse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse_id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1, max_length=120)
    region: str = Field(min_length=2, max_length=10, description="a region code, e.g. ID-JK")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    low_stock_threshold: int = Field(default=5, ge=0, le=1_000_000)


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: int = Field(ge=0, le=1_000_000)
    """A SKU whose available units fall to this or below raises a low-stock alert."""


class Availability(BaseModel):
    sku: str
    available: int
    warehouses: dict[str, int]


async def _configured(request: Request) -> list[str]:
    """The ids of the warehouses given a location, active or not."""
    return [info["warehouse_id"] for info in await configured_warehouses(services(request).shop)]


async def _known(request: Request, warehouse_id: str) -> ObjectStub[Warehouse]:
    """The warehouse's stub; 404 for one that was never configured (nothing is created)."""
    if warehouse_id not in await _configured(request):
        raise ApiError(404, "not_found", "no such warehouse")
    return services(request).shop(Warehouse).get(warehouse_id)


@router.get("/warehouses", response_model=list[WarehouseInfo])
async def list_warehouses(request: Request) -> list[dict[str, Any]]:
    """Warehouses with their locations (`active`: taking new orders)."""
    return await configured_warehouses(services(request).shop)


@router.get("/inventory/{sku}", response_model=Availability)
async def availability(sku: Annotated[str, SKU_IN_PATH], request: Request) -> Availability:
    """How many units of `sku` each active warehouse can still sell."""
    warehouses = services(request).shop(Warehouse)
    ids = sorted(site.warehouse_id for site in await warehouse_sites(services(request).shop))
    levels = await asyncio.gather(
        *(warehouses.get(w).call(Warehouse.levels, skus=[sku]) for w in ids)
    )
    per_warehouse = {w: found[sku]["available"] for w, found in zip(ids, levels, strict=True)}
    return Availability(sku=sku, available=sum(per_warehouse.values()), warehouses=per_warehouse)


@router.get(
    "/admin/warehouses/{warehouse_id}/stock",
    response_model=StockBySku,
    tags=["admin"],
    responses=ADMIN_ONLY,
)
async def stock_levels(
    warehouse_id: Annotated[str, WAREHOUSE_ID], request: Request, admin: Admin
) -> dict[str, dict[str, int]]:
    """available, reserved, allocated and on_hand of every SKU."""
    return await (await _known(request, warehouse_id)).call(Warehouse.levels)


@router.post(
    "/admin/warehouses/{warehouse_id}/restock",
    response_model=StockLevel,
    tags=["admin"],
    responses=ADMIN_ONLY,
)
async def restock(
    warehouse_id: Annotated[str, WAREHOUSE_ID],
    body: Restock,
    request: Request,
    admin: Admin,
    idempotency_key: IdempotencyKey,
) -> dict[str, int]:
    """Adds received units (once per `Idempotency-Key`: a retried delivery is not counted twice)."""
    warehouse = await _known(request, warehouse_id)
    return await warehouse.once(f"restock:{idempotency_key}").call(
        Warehouse.restock, sku=body.sku, quantity=body.quantity
    )


@router.post(
    "/admin/warehouses/{warehouse_id}/adjust",
    response_model=StockLevel,
    tags=["admin"],
    responses={**ADMIN_ONLY, 409: {"description": "below what is reserved"}},
)
async def adjust(
    warehouse_id: Annotated[str, WAREHOUSE_ID], body: Adjustment, request: Request, admin: Admin
) -> dict[str, int]:
    """Sets on-hand to a counted figure (never below what is reserved or allocated)."""
    warehouse = await _known(request, warehouse_id)
    return await warehouse.call(
        Warehouse.adjust, sku=body.sku, counted_on_hand=body.counted_on_hand, reason=body.reason
    )


@router.get(
    "/admin/warehouses/{warehouse_id}/reservations",
    response_model=list[Reservation],
    tags=["admin"],
    responses=ADMIN_ONLY,
)
async def reservations(
    warehouse_id: Annotated[str, WAREHOUSE_ID],
    request: Request,
    admin: Admin,
    status: Literal["held", "confirmed", "released", "expired", "shipped"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    warehouse = await _known(request, warehouse_id)
    return await warehouse.call(Warehouse.reservations, status=status, limit=limit)


@router.post(
    "/admin/warehouses",
    response_model=WarehouseInfo,
    status_code=201,
    tags=["admin"],
    responses={**ADMIN_ONLY, 409: {"description": "the warehouse exists"}},
)
async def create_warehouse(body: NewWarehouse, request: Request, admin: Admin) -> Any:
    """A new warehouse at a location; checkouts ship from it from its first stock on."""
    if body.warehouse_id in await _configured(request):
        raise ApiError(409, "warehouse_exists", "a warehouse with this id exists")
    warehouse = services(request).shop(Warehouse).get(body.warehouse_id)
    return await warehouse.call(
        Warehouse.configure,
        name=body.name,
        region_code=body.region,
        latitude=body.latitude,
        longitude=body.longitude,
        low_stock_threshold=body.low_stock_threshold,
    )


@router.put(
    "/admin/warehouses/{warehouse_id}/threshold",
    response_model=WarehouseInfo,
    tags=["admin"],
    responses=ADMIN_ONLY,
)
async def set_threshold(
    warehouse_id: Annotated[str, WAREHOUSE_ID], body: Threshold, request: Request, admin: Admin
) -> Any:
    warehouse = await _known(request, warehouse_id)
    return await warehouse.call(Warehouse.set_threshold, threshold=body.threshold)


@router.post(
    "/admin/warehouses/{warehouse_id}/deactivate",
    response_model=WarehouseInfo,
    tags=["admin"],
    responses=ADMIN_ONLY,
)
async def deactivate(
    warehouse_id: Annotated[str, WAREHOUSE_ID], request: Request, admin: Admin
) -> Any:
    """No new reservations (checkouts plan without it); what it holds still ships."""
    warehouse = await _known(request, warehouse_id)
    return await warehouse.call(Warehouse.set_active, active=False)


@router.post(
    "/admin/warehouses/{warehouse_id}/activate",
    response_model=WarehouseInfo,
    tags=["admin"],
    responses=ADMIN_ONLY,
)
async def activate(
    warehouse_id: Annotated[str, WAREHOUSE_ID], request: Request, admin: Admin
) -> Any:
    warehouse = await _known(request, warehouse_id)
    return await warehouse.call(Warehouse.set_active, active=True)
