"""The API's published contract: every route documented with named request and response
schemas, so clients can generate types from `/openapi.json`."""

from collections.abc import Iterator
from typing import Any

from serve_app.gateway import build_app

WRITES = {"post", "put", "patch", "delete"}


def json_schemas(operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        yield "request", body["schema"]
    for status, response in operation["responses"].items():
        found = response.get("content", {}).get("application/json")
        if status.startswith("2") and found is not None:
            yield f"response {status}", found["schema"]


def is_named(schema: dict[str, Any]) -> bool:
    """A `$ref` to a component, a list of them, or an optional one."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return is_named(schema["items"])
    choices = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return len(choices) == 1 and is_named(choices[0])


def test_every_request_and_response_schema_is_named() -> None:
    spec = build_app().openapi()
    unnamed = [
        f"{method.upper()} {path} {where}"
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        for where, schema in json_schemas(operation)
        if not is_named(schema)
    ]
    assert unnamed == []


def test_the_api_covers_every_context_of_the_shop() -> None:
    paths = set(build_app().openapi()["paths"])
    for expected in (
        "/api/auth/signup",
        "/api/me/addresses",
        "/api/companies",
        "/api/products",
        "/api/categories",
        "/api/warehouses",
        "/api/inventory/{sku}",
        "/api/cart/items",
        "/api/cart/coupon",
        "/api/cart/shipping-options",
        "/api/checkout",
        "/api/orders/{order_id}/fulfil",
        "/api/seller/orders",
        "/api/admin/orders",
        "/api/payments/webhook",
        "/api/shipments/{shipment_id}",
        "/api/admin/coupons",
        "/api/admin/sagas",
        "/api/admin/faults",
        "/health/ready",
    ):
        assert expected in paths
    write_routes = {
        (path, method)
        for path, ops in build_app().openapi()["paths"].items()
        for method in ops
        if method in WRITES
    }
    assert len(write_routes) >= 30
