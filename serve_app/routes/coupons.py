"""Coupons for admins (ARCHITECTURE §8 `coupons`): issue or change a code's terms, list codes
with their redemptions, withdraw a code. Shoppers apply codes through their cart."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from actors.coupons import COUPONS_KEY, Coupons
from domain.coupons import CouponKind
from domain.money import Money
from durable import ObjectStub
from serve_app.routes.deps import require_admin, services
from serve_app.schemas import IssuedCoupon
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(
    route_class=StrictJsonRoute,
    prefix="/api/admin/coupons",
    tags=["admin", "coupons"],
    responses={401: {"description": "not signed in"}, 403: {"description": "admins only"}},
)
Admin = Annotated[Principal, Depends(require_admin)]
CODE = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")


class CouponTermsIn(BaseModel):
    """A code's terms; the code itself is in the path."""

    model_config = ConfigDict(extra="forbid")

    kind: CouponKind
    percent_basis_points: int | None = Field(default=None, ge=1, le=10_000)
    amount_off: Money | None = None
    expires_at: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    minimum_subtotal: Money | None = None
    max_redemptions: int | None = Field(default=None, ge=1, le=10_000_000)


def _coupons(request: Request) -> ObjectStub[Coupons]:
    return services(request).shop(Coupons).get(COUPONS_KEY)


@router.get("", response_model=list[IssuedCoupon])
async def list_coupons(request: Request, admin: Admin) -> list[dict[str, Any]]:
    return await _coupons(request).call(Coupons.issued)


@router.put("/{code}", response_model=IssuedCoupon)
async def save_coupon(
    code: Annotated[str, CODE], body: CouponTermsIn, request: Request, admin: Admin
) -> dict[str, Any]:
    """Issues `code` or changes its terms (uses so far still count toward the limit)."""
    return await _coupons(request).call(
        Coupons.save, terms={"code": code, **body.model_dump(mode="json")}
    )


@router.delete("/{code}", status_code=204, responses={404: {"description": "no such code"}})
async def delete_coupon(code: Annotated[str, CODE], request: Request, admin: Admin) -> Response:
    await _coupons(request).call(Coupons.delete, code=code)
    return Response(status_code=204)
