"""The gateway (ARCHITECTURE §8): a Ray Serve deployment with a FastAPI ingress.

Every request gets a correlation id (taken from `X-Correlation-ID` when it is sane, echoed
back, and carried into every object call), a body cap, a per-client rate limit and a
timeout; every error leaves in the uniform format of `serve_app.errors`.
"""

import asyncio
import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from ray import serve

from actors.config import RuntimeConfig
from actors.correlation import correlation_id
from actors.secrets import secret
from sagas.registry import SHOP_KINDS
from serve_app.errors import error_body, install_error_handlers
from serve_app.rate_limit import RateLimiter
from serve_app.routes import (
    account,
    admin,
    auth,
    catalog,
    coupons,
    deps,
    health,
    inventory,
    orders,
    payments,
    products,
    shopping,
)
from serve_app.settings import GatewaySettings
from serve_app.tokens import InvalidToken, TokenIssuer

CORRELATION_HEADER = "X-Correlation-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


@dataclass
class Services:
    """What the routes reach, one per replica (`serve_app.routes.deps.services()`)."""

    shop: Any
    issuer: TokenIssuer
    limiter: RateLimiter
    settings: GatewaySettings


app = FastAPI(
    title="rayshop",
    version="0.1.0",
    description="Retail and wholesale shop on Ray: durable objects, sagas, events.",
)
install_error_handlers(app)
app.include_router(health.router)
app.include_router(auth.router)
app.include_router(catalog.router)
app.include_router(products.router)
app.include_router(inventory.router)
app.include_router(account.router)
app.include_router(shopping.router)
app.include_router(orders.router)
app.include_router(payments.router)
app.include_router(coupons.router)
app.include_router(admin.router)


@app.middleware("http")
async def at_the_edge(request: Request, call_next: Any) -> Response:
    given = request.headers.get(CORRELATION_HEADER, "")
    request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
    token = correlation_id.set(request_id)
    try:
        response = await _guarded(request, call_next)
    finally:
        correlation_id.reset(token)
    response.headers[CORRELATION_HEADER] = request_id
    return response


async def _guarded(request: Request, call_next: Any) -> Response:
    services: Services = deps.services()
    settings = services.settings
    if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
        return _preflight(request, settings)
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > settings.max_body_bytes:
        body = error_body("body_too_large", f"at most {settings.max_body_bytes} bytes")
        return JSONResponse(body, status_code=413)
    wait = services.limiter.check(_client(request, services.issuer))
    if wait is not None:
        seconds = RateLimiter.retry_after(wait)
        body = error_body("rate_limited", "too many requests", {"retry_after_s": int(seconds)})
        return JSONResponse(body, status_code=429, headers={"Retry-After": seconds})
    try:
        response = await asyncio.wait_for(call_next(request), settings.request_timeout_s)
    except TimeoutError:
        body = error_body("timeout", f"no answer within {settings.request_timeout_s:g} s")
        response = JSONResponse(body, status_code=504)
    origin = request.headers.get("origin")
    if origin and origin in settings.cors_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = f"{CORRELATION_HEADER}, Retry-After"
        response.headers["Vary"] = "Origin"
    return response


def _preflight(request: Request, settings: GatewaySettings) -> Response:
    """CORS preflight: allowed origins may call with any method and header."""
    origin = request.headers.get("origin", "")
    if origin not in settings.cors_origins:
        return JSONResponse(error_body("forbidden", "origin not allowed"), status_code=403)
    asked = request.headers.get("access-control-request-headers", "")
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": asked or "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }
    return Response(status_code=204, headers=headers)


def _client(request: Request, issuer: TokenIssuer) -> str:
    """Who the rate limit counts: the signed-in user, else the caller's address. The verified
    caller is kept on the request, so routes do not verify the token again."""
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        try:
            principal = issuer.verify(header.removeprefix("Bearer "))
        except InvalidToken:
            pass
        else:
            request.state.principal = principal
            return "user:" + principal.user_id
    return "ip:" + (request.client.host if request.client else "unknown")


@serve.deployment(max_ongoing_requests=200)
@serve.ingress(app)
class Gateway:
    """One replica: its own stubs and rate-limit counts; all state lives in the objects."""

    def __init__(self, config: RuntimeConfig, settings: GatewaySettings) -> None:
        from actors.shop import Shop

        deps.install(
            Services(
                shop=Shop(SHOP_KINDS, config),
                issuer=TokenIssuer(secret(config.state_dir, "jwt", "RAYSHOP_JWT_SECRET")),
                limiter=RateLimiter(settings.rate_limit, settings.rate_window_s),
                settings=settings,
            )
        )


def build(config: RuntimeConfig, settings: GatewaySettings) -> Any:
    """The Serve application: `serve.run(build(...), route_prefix="/")`."""
    return Gateway.bind(config, settings)


def app_from_env() -> Any:
    """The application `serve_config.yaml` deploys: settings from the RAYSHOP_* environment."""
    return build(RuntimeConfig.from_env(), GatewaySettings.from_env())
