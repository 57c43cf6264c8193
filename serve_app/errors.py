"""Every error leaves the gateway as `{"error": code, "message": text, "details": {...}}` with
the status its code calls for (ARCHITECTURE §8); nothing a client sends gives a 500. Our own
bugs are answered (and logged) by the edge middleware, so they too carry the correlation id."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import DomainError
from durable import HostUnavailable

STATUS_BY_CODE = {
    "invalid_input": 422,
    "email_taken": 409,
    "cart_not_yours": 403,
    "cart_locked": 409,
    "illegal_transition": 409,
    "insufficient_stock": 409,
    "saga_not_stuck": 409,
    "unknown_user": 404,
    "unknown_product": 404,
    "line_not_found": 404,
    "reservation_not_found": 404,
    "unknown_address": 404,
    "not_found": 404,
    "forbidden": 403,
    "company_not_approved": 403,
    "no_invitation": 404,
    "already_member": 409,
    "member_of_another_company": 409,
    "last_owner": 409,
    "company_full": 409,
    "invalid_offer": 422,
    "offer_replaced": 409,
    "quote_expired": 409,
    "last_admin": 409,
    "warehouse_exists": 409,
    "unknown_coupon": 404,
    "product_exists": 409,
    "invalid_stock_change": 409,
    "coupon_exhausted": 409,
    "address_book_full": 409,
    "invalid_signature": 401,
    "below_minimum_order_quantity": 422,
    "not_sold_in_market": 422,
    "checkout_not_ready": 409,
    "cart_empty": 409,
    "prices_changed": 409,
    "amount_out_of_range": 422,
    "no_warehouse": 503,
}


class ApiError(Exception):
    """An error the gateway itself raises (auth, rate limit, ownership, timeouts)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details or {}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        body = error_body(exc.code, exc.message, exc.details)
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = STATUS_BY_CODE.get(exc.code, 400)
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        body = error_body(
            "invalid_input", "the request does not fit its schema", {"errors": errors}
        )
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(HostUnavailable)
    async def unavailable(request: Request, exc: HostUnavailable) -> JSONResponse:
        body = error_body("unavailable", "a part of the shop is restarting; try again")
        return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})
