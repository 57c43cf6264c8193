"""Bad input on every write route, generated from `/openapi.json`: malformed JSON, wrong
types, negative, huge and non-finite numbers, overlong strings, unknown fields, deep
nesting, and bodies past the cap sent chunked. Every answer is a 4xx in the error format,
never a 5xx, and the caller's cart and orders stay as they were."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from serve_app.settings import GatewaySettings
from tests.e2e.conftest import UNLIMITED
from tests.e2e.http_helpers import bearer, sign_up

WRITES = ("post", "put", "patch", "delete")
WRONG_TYPE = {"string": 12345, "integer": "many", "number": "lots", "boolean": "maybe"}
JSON = {"Content-Type": "application/json"}
DEEP = b"[" * 3_000 + b"]" * 3_000
OVER_CAP = UNLIMITED.max_body_bytes + 100_000


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:  # optional fields: the non-null choice
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema)
        return resolve(spec, schema)
    return schema


def bad_bodies(spec: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(what is wrong, JSON body) pairs for a request body schema."""
    yield "not an object", ["a", "list"]
    yield "unknown field", {"zzz_not_a_field": 1}
    properties = resolve(spec, schema).get("properties", {})
    for name, field in properties.items():
        field = resolve(spec, field)
        kind = field.get("type")
        if kind in WRONG_TYPE:
            yield f"{name}: wrong type", {name: WRONG_TYPE[kind]}
        if kind in ("integer", "number"):
            yield f"{name}: negative", {name: -1}
            yield f"{name}: huge", {name: 10**15}
        if kind == "integer":
            yield f"{name}: beyond 64 bits", {name: 2**64}
        if kind == "string":
            yield f"{name}: overlong", {name: "x" * 20_000}
        if kind == "object":
            yield f"{name}: not an object", {name: "flat"}


def non_finite_bodies(spec: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """(what is wrong, raw body) pairs: numbers JSON does not have, which Python's parser takes."""
    for name, field in resolve(spec, schema).get("properties", {}).items():
        if resolve(spec, field).get("type") in ("integer", "number"):
            for number in ("NaN", "Infinity", "-Infinity", "1e999"):
                yield f"{name}: {number}", f'{{"{name}": {number}}}'.encode()


async def over_cap() -> AsyncIterator[bytes]:
    """A body past the cap, chunked: no Content-Length tells the gateway its size."""
    yield b'{"x": "'
    for _ in range(OVER_CAP // 100_000):
        yield b"x" * 100_000
    yield b'"}'


RAW_BODIES = {("post", "/api/payments/webhook")}
"""Write routes that read their body themselves (so the spec shows no body schema)."""


def write_routes(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method in WRITES:
                yield method, path, operation


@pytest.fixture(scope="module")
def gateway_settings() -> GatewaySettings:
    return UNLIMITED


async def test_every_write_route_refuses_bad_input_with_a_4xx_and_changes_nothing(
    client: Any,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    account = await sign_up(client)
    headers = {
        **bearer(account["tokens"]["access_token"]),
        "Idempotency-Key": uuid.uuid4().hex,
        "X-Signature": "0" * 64,  # the webhook too gets as far as its body
    }
    before = [(await client.get(p, headers=headers)).json() for p in ("/api/cart", "/api/orders")]
    tried = 0
    for method, template, operation in write_routes(spec):
        path = template.replace("{", "").replace("}", "")
        body_schema = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        in_path = [p for p in operation.get("parameters", []) if p["in"] == "path"]
        if body_schema is None and not in_path and (method, template) not in RAW_BODIES:
            continue  # no body, no path: nothing to get wrong (`DELETE /api/cart/coupon`)
        cases: list[tuple[str, dict[str, Any]]] = [
            ("malformed JSON", {"content": b"{oops", "headers": JSON}),
            ("deep nesting", {"content": DEEP, "headers": JSON}),
            ("chunked past the cap", {"content": over_cap(), "headers": JSON}),
        ]
        if body_schema is not None:
            cases += [(what, {"json": body}) for what, body in bad_bodies(spec, body_schema)]
            cases += [
                (what, {"content": raw, "headers": JSON})
                for what, raw in non_finite_bodies(spec, body_schema)
            ]
        for what, request in cases:
            merged = {**headers, **request.pop("headers", {})}
            response = await client.request(method.upper(), path, headers=merged, **request)
            tried += 1
            assert 400 <= response.status_code < 500, (method, path, what, response.text)
            reads_body = body_schema is not None or (method, template) in RAW_BODIES
            if what == "chunked past the cap" and reads_body:
                assert response.status_code == 413, (method, path, response.text)
            assert response.status_code != 429, "the rate limit must not hide the answer"
            body = response.json()
            assert set(body) == {"error", "message", "details"}, (method, path, what, body)
    after = [(await client.get(p, headers=headers)).json() for p in ("/api/cart", "/api/orders")]
    assert after == before
    assert tried >= 50, f"only {tried} bad requests were generated"
