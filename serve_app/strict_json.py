"""JSON as a shop's API takes it: no `NaN` or `Infinity` (Python's parser takes them, and
`1e999` becomes infinity), no nesting deeper than any request needs. A body that breaks
either is malformed JSON: 422 in the error format, like any other, never a 500 and never a
coupon that expires at infinity."""

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

MAX_DEPTH = 32


def loads(body: bytes | str) -> Any:
    """`json.loads`, refusing non-finite numbers and deep nesting.

    Raises:
        json.JSONDecodeError: for all of these, as for any malformed JSON.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    _check_depth(text)
    return json.loads(text, parse_constant=_no_constant(text), parse_float=_finite(text))


def _check_depth(text: str) -> None:
    """Counts brackets outside strings before parsing: a deep body is refused in linear
    time, before the recursive parser could overflow the stack. A body with no more opening
    brackets in all than the limit (every request the shop's own clients send) needs no walk."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return
    depth, in_string, escaped = 0, False, False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH}", text, position)
        elif char in "]}":
            depth -= 1


def _no_constant(text: str) -> Callable[[str], Any]:
    def refuse(constant: str) -> Any:
        raise json.JSONDecodeError(f"{constant} is not a number JSON allows", text, 0)

    return refuse


def _finite(text: str) -> Callable[[str], float]:
    def parse(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise json.JSONDecodeError(f"{literal} is too large a number", text, 0)
        return value

    return parse


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is parsed by `loads` (FastAPI's documented way to change how
    a request is read: a route class with its own request class)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
