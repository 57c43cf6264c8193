"""The coupons database object (dedicated, ARCHITECTURE §6 promotions): the codes admins issue
and who redeemed them. A cart copies a coupon's terms when the shopper applies it; the checkout
redeems it here, where the redemption limit is counted, and gives it back if it fails."""

from typing import Any

from pydantic import BaseModel, Field

from domain.coupons import CouponTerms
from domain.errors import DomainError, parse
from durable import CallContext, Dedicated, DurableObject, Event, command, query

COUPONS_KEY = "coupons"


class UnknownCoupon(DomainError):
    code = "unknown_coupon"


class CouponExhausted(DomainError):
    code = "coupon_exhausted"


class IssuedCoupon(BaseModel):
    terms: CouponTerms
    redeemed_by: dict[str, float] = Field(default_factory=dict)
    """Checkout id -> when; a checkout redeems at most once."""


class CouponsState(BaseModel):
    coupons: dict[str, IssuedCoupon] = Field(default_factory=dict)


def normal_code(code: str) -> str:
    return code.strip().upper()


class Coupons(DurableObject):
    kind = "coupons"
    collection = "coupon_books"
    placement = Dedicated()
    state_model = CouponsState
    state: CouponsState

    def apply(self, event: Event) -> None:
        data, coupons = event.data, self.state.coupons
        match event.type:
            case "CouponSaved":
                terms = CouponTerms.model_validate(data["terms"])
                kept = coupons.get(terms.code)
                coupons[terms.code] = IssuedCoupon(
                    terms=terms, redeemed_by=kept.redeemed_by if kept else {}
                )
            case "CouponDeleted":
                coupons.pop(data["code"], None)
            case "CouponRedeemed":
                coupons[data["code"]].redeemed_by[data["checkout_id"]] = data["at"]
            case "CouponReleased":
                coupons[data["code"]].redeemed_by.pop(data["checkout_id"], None)

    @command
    async def save(self, ctx: CallContext, terms: dict[str, Any]) -> dict[str, Any]:
        """Issues a code or changes its terms (redemptions so far are kept)."""
        parsed = parse(CouponTerms, {**terms, "code": normal_code(str(terms.get("code", "")))})
        current = self.state.coupons.get(parsed.code)
        if current is None or current.terms != parsed:
            ctx.emit("CouponSaved", {"terms": parsed.model_dump(mode="json")})
        return self._view(parsed.code)

    @command
    async def delete(self, ctx: CallContext, code: str) -> None:
        found = self._issued(code)
        ctx.emit("CouponDeleted", {"code": found.terms.code})

    @command
    async def redeem(self, ctx: CallContext, code: str, checkout_id: str) -> dict[str, Any]:
        """Counts one use by `checkout_id` (safe to repeat); refused past the limit."""
        found = self._issued(code)
        if checkout_id not in found.redeemed_by:
            _require_uses_left(found)
            ctx.emit(
                "CouponRedeemed",
                {"code": found.terms.code, "checkout_id": checkout_id, "at": ctx.now()},
            )
        return self._view(found.terms.code)

    @command
    async def release(self, ctx: CallContext, code: str, checkout_id: str) -> None:
        """Gives a failed checkout's use back (safe to repeat, and for deleted codes)."""
        found = self.state.coupons.get(normal_code(code))
        if found is not None and checkout_id in found.redeemed_by:
            ctx.emit("CouponReleased", {"code": found.terms.code, "checkout_id": checkout_id})

    @query
    async def terms(self, ctx: CallContext, code: str) -> dict[str, Any]:
        """What a cart copies when a shopper applies `code`."""
        found = self._issued(code)
        _require_uses_left(found)
        return found.terms.model_dump(mode="json")

    @query
    async def issued(self, ctx: CallContext) -> list[dict[str, Any]]:
        return [self._view(code) for code in sorted(self.state.coupons)]

    def _issued(self, code: str) -> IssuedCoupon:
        found = self.state.coupons.get(normal_code(code))
        if found is None:
            raise UnknownCoupon(f"no coupon {code!r}", code=code)
        return found

    def _view(self, code: str) -> dict[str, Any]:
        found = self.state.coupons[code]
        return {**found.terms.model_dump(mode="json"), "redemptions": len(found.redeemed_by)}


def _require_uses_left(coupon: IssuedCoupon) -> None:
    limit = coupon.terms.max_redemptions
    if limit is not None and len(coupon.redeemed_by) >= limit:
        raise CouponExhausted(f"coupon {coupon.terms.code} has been used up", limit=limit)
