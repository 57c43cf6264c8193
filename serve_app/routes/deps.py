"""What routes depend on: the replica's services and the caller's verified identity."""

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from durable import Objects
from serve_app.errors import ApiError
from serve_app.rate_limit import RateLimiter
from serve_app.settings import GatewaySettings
from serve_app.tokens import InvalidToken, Principal, TokenIssuer

BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass
class Services:
    """What the routes reach, one per replica (`serve_app.routes.deps.services()`)."""

    shop: Objects
    issuer: TokenIssuer
    passwords: Any
    """The password service's deployment handle."""
    limiter: RateLimiter
    settings: GatewaySettings


_services: Services | None = None


def install(services: Services) -> None:
    """The replica's services. A module global, not `app.state`: Serve hands each replica
    its own copy of the FastAPI app, while modules are imported once per process."""
    global _services
    _services = services


def services(request: Request | None = None) -> Services:
    if _services is None:
        raise RuntimeError("the gateway has not installed its services")
    return _services


async def current_user(request: Request) -> Principal:
    """The signed-in caller; 401 for a missing, expired, forged or wrong-algorithm token.
    (Async: FastAPI would run a plain function in a worker thread, a hop per request.)"""
    verified = getattr(request.state, "principal", None)  # by the gateway's edge middleware
    if isinstance(verified, Principal):
        return verified
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "unauthorized", "sign in first", headers=BEARER)
    try:
        return services(request).issuer.verify(header.removeprefix("Bearer "))
    except InvalidToken as exc:
        raise ApiError(401, "unauthorized", f"invalid token: {exc}", headers=BEARER) from None


async def require_admin(request: Request) -> Principal:
    principal = await current_user(request)
    if not principal.has("admin"):
        raise ApiError(403, "forbidden", "admins only")
    return principal
