"""Benchmark of the gateway's own code per request (issue: HTTP front door, gateway CPU).

    python -m bench.gateway_app

The gateway's FastAPI app as a replica builds it (the edge middleware with its token check,
CORS, body cap and rate limit; routing, validation, the routes, error handling, encoding),
called in this process through ASGI for the requests of a shopping flow: no Serve, no HTTP
server, no Ray. Object calls answer at once, with answers shaped like the objects' own. So
the CPU per request printed here is what our code and FastAPI cost; what `bench.http` counts
per request beyond it is Serve's ingress, uvicorn and Ray's calls. Last line: the figures as
JSON (microseconds of CPU per request, by route).
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.http import ADDRESS
from bench.report import print_figures, print_table
from domain.cart import Address, CartLine, CartSummary, ShippingChoice
from domain.money import Money
from serve_app.gateway import build_app
from serve_app.rate_limit import RateLimiter
from serve_app.routes import deps
from serve_app.settings import GatewaySettings
from serve_app.tokens import Principal, TokenIssuer

REQUESTS = 3000
WARM_UP = 300


def _idr(amount: int) -> Money:
    return Money(amount=amount, currency="IDR")


CART_VIEW = {
    "cart_id": "cart-u-bench",
    "owner": "u-bench",
    "market": "retail",
    "lines": [
        CartLine(sku=sku, title=sku.title(), quantity=1, unit_price=_idr(45_000)).model_dump(
            mode="json"
        )
        for sku in ("TEA", "MUG")
    ],
    "address": Address.model_validate(ADDRESS).model_dump(mode="json"),
    "shipping": ShippingChoice(code="REG", label="Regular", price=_idr(15_000)).model_dump(
        mode="json"
    ),
    "shipping_service": "REG",
    "missing": [],
    "coupon": None,
    "locked": False,
    "summary": CartSummary(
        currency="IDR",
        item_count=2,
        subtotal=90_000,
        discount=0,
        shipping=15_000,
        tax=9_900,
        total=114_900,
    ).model_dump(mode="json"),
}
"""A cart view as `Cart` answers (`Cart._view`), two lines, an address and a carrier price."""
SAGA_ENDED: dict[str, Any] = {
    "saga_id": "co-bench",
    "saga_type": "checkout",
    "status": "completed",
    "failure": None,
    "result": {},
    "steps": {},
    "waiting_for": None,
}


class AnsweringStub:
    """Answers a route's object call at once: a saga's ending, or a cart view."""

    def once(self, key: str) -> "AnsweringStub":
        return self

    async def call(self, method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        answer = SAGA_ENDED if method.__name__ in ("run", "start") else CART_VIEW
        return json.loads(json.dumps(answer))  # a fresh copy, as a Ray reply would be


class AnsweringObjects:
    def __call__(self, kind: type) -> "AnsweringObjects":
        return self

    def get(self, key: str) -> AnsweringStub:
        return AnsweringStub()


Send = Callable[[], Awaitable[int]]


def request(
    app: Any, method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]
) -> Send:
    """One request through the app's ASGI interface; the sender returns the status."""
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50_000),
        "server": ("127.0.0.1", 8000),
    }

    async def send() -> int:
        messages: list[dict[str, Any]] = []
        delivered = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if delivered.is_set():
                await asyncio.Event().wait()  # the client never disconnects
            delivered.set()
            return {"type": "http.request", "body": body, "more_body": False}

        async def respond(message: dict[str, Any]) -> None:
            messages.append(message)

        await app({**scope, "state": {}}, receive, respond)
        return int(messages[0]["status"])

    return send


async def cpu_us_per_request(send: Send) -> float:
    for _ in range(WARM_UP):
        status = await send()
        if status >= 400:
            raise RuntimeError(f"the route answered {status}")
    started = time.process_time()
    for _ in range(REQUESTS):
        await send()
    return (time.process_time() - started) * 1e6 / REQUESTS


async def measure() -> dict[str, float]:
    issuer = TokenIssuer(b"bench-secret-" * 3)
    settings = GatewaySettings(rate_limit=10**9)
    deps.install(
        deps.Services(
            shop=AnsweringObjects(),  # type: ignore[arg-type]
            issuer=issuer,
            passwords=None,
            limiter=RateLimiter(settings.rate_limit, settings.rate_window_s),
            settings=settings,
        )
    )
    app = build_app()
    signed_in = [(b"authorization", f"Bearer {issuer.issue(Principal('u-bench', ()))}".encode())]
    checkout_headers = [*signed_in, (b"idempotency-key", b"bench-checkout-key")]
    add_item = json.dumps({"sku": "TEA", "quantity": 1}).encode()
    checkout = json.dumps({"address": ADDRESS, "shipping_service": "REG"}).encode()
    routes = {
        "live": request(app, "GET", "/health/live", b"", []),
        "add_item": request(app, "POST", "/api/cart/items", add_item, signed_in),
        "checkout": request(app, "POST", "/api/checkout?wait=true", checkout, checkout_headers),
    }
    return {name: await cpu_us_per_request(send) for name, send in routes.items()}


def main() -> None:
    figures = asyncio.run(measure())
    print_table(
        f"The gateway app's CPU per request, {REQUESTS:,} requests per route (no Serve, no Ray)",
        [
            ("GET /health/live us", figures["live"], "the app's floor"),
            ("POST /api/cart/items us", figures["add_item"], "a flow sends two"),
            ("POST /api/checkout?wait=true us", figures["checkout"], "and one"),
        ],
    )
    print()
    print_figures({f"app_cpu_us_per_request_{name}": us for name, us in figures.items()})


if __name__ == "__main__":
    main()
