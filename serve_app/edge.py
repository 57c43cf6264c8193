"""What every request passes before a route (ARCHITECTURE §8), as plain ASGI middleware (no
per-request task group or body streams, which Starlette's `BaseHTTPMiddleware` adds):
a correlation id, CORS, the body cap, the per-client rate limit and the timeout.

The correlation id is taken from `X-Correlation-ID` when it is sane, or made up (unique
without a system call); it is echoed back and carried into every object call. A valid
bearer token is verified here once, for the rate limit, and kept in the request state for
the routes."""

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from durable import correlation_id, unique_id
from serve_app.errors import error_body
from serve_app.rate_limit import RateLimiter
from serve_app.tokens import InvalidToken, TokenIssuer

log = logging.getLogger(__name__)
CORRELATION_HEADER = "X-Correlation-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Edge:
    def __init__(self, app: ASGIApp, services: Callable[[], Any]) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get(CORRELATION_HEADER, "")
        request_id = given if _SANE_ID.match(given) else unique_id()
        services = self.services()
        settings = services.settings
        origin = headers.get("origin")
        allowed = origin if origin in settings.cors_origins else None
        started = False
        held: Message | None = None

        async def send_tagged(message: Message) -> None:
            """Tags the answer; its head leaves with the first piece of its body, in the same
            turn of the event loop, so a replica killed mid-answer never leaves a client with
            a head and no body (HAProxy can send a request again only before any byte of the
            answer went out)."""
            nonlocal started, held
            if message["type"] == "http.response.start":
                tagged = MutableHeaders(scope=message)
                tagged[CORRELATION_HEADER] = request_id
                if allowed:
                    tagged["Access-Control-Allow-Origin"] = allowed
                    tagged["Access-Control-Expose-Headers"] = f"{CORRELATION_HEADER}, Retry-After"
                    tagged["Vary"] = "Origin"
                held = message
                return
            if held is not None:
                head, held, started = held, None, True
                await send(head)
            await send(message)

        token = correlation_id.set(request_id)
        try:
            refusal = self._refusal(scope, headers, services)
            if refusal is not None:
                await refusal(scope, receive, send_tagged)
                return
            capped = _capped(receive, settings.max_body_bytes)
            try:
                async with asyncio.timeout(settings.request_timeout_s):
                    await self.app(scope, capped, send_tagged)
            except TimeoutError:
                if started:
                    raise
                body = error_body("timeout", f"no answer within {settings.request_timeout_s:g} s")
                await JSONResponse(body, status_code=504)(scope, receive, send_tagged)
            except Exception as exc:
                if started:
                    raise
                await _internal_error(scope, exc)(scope, receive, send_tagged)
        finally:
            correlation_id.reset(token)

    def _refusal(self, scope: Scope, headers: Headers, services: Any) -> Response | None:
        """The answer for a request refused before any route runs, or None to go on."""
        settings = services.settings
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            return _preflight(headers, settings.cors_origins)
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > settings.max_body_bytes:
            body = error_body("body_too_large", f"at most {settings.max_body_bytes} bytes")
            return JSONResponse(body, status_code=413)
        wait = services.limiter.check(_client(scope, headers, services.issuer))
        if wait is not None:
            seconds = RateLimiter.retry_after(wait)
            body = error_body("rate_limited", "too many requests", {"retry_after_s": int(seconds)})
            return JSONResponse(body, status_code=429, headers={"Retry-After": seconds})
        return None


class BodyTooLarge(HTTPException):
    """Raised by the capped `receive` as the body grows past the cap, however it is sent
    (with a Content-Length, or chunked without one); answered 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"at most {limit} bytes")


def _capped(receive: Receive, limit: int) -> Receive:
    """`receive` counting the body's bytes as they arrive."""
    received = 0

    async def receive_capped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_capped


def _internal_error(scope: Scope, exc: Exception) -> Response:
    """Our bug, never the client's: logged with its traceback under the correlation id,
    answered in the error format (and, like every answer, tagged with that id)."""
    log.error(
        "unhandled %s on %s %s", type(exc).__name__, scope["method"], scope["path"], exc_info=exc
    )
    return JSONResponse(error_body("internal_error", "the shop failed to answer"), status_code=500)


def _preflight(headers: Headers, allowed_origins: tuple[str, ...]) -> Response:
    """CORS preflight: allowed origins may call with any method and header."""
    origin = headers.get("origin", "")
    if origin not in allowed_origins:
        return JSONResponse(error_body("forbidden", "origin not allowed"), status_code=403)
    asked = headers.get("access-control-request-headers", "")
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": asked or "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


def _client(scope: Scope, headers: Headers, issuer: TokenIssuer) -> str:
    """Who the rate limit counts: the signed-in user, else the caller's address. The verified
    caller is kept in the request state, so routes do not verify the token again."""
    header = headers.get("authorization", "")
    if header.startswith("Bearer "):
        try:
            principal = issuer.verify(header.removeprefix("Bearer "))
        except InvalidToken:
            pass
        else:
            scope.setdefault("state", {})["principal"] = principal
            return "user:" + principal.user_id
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")
