"""What the end-to-end tests share: accounts, tokens and the uniform error format."""

import uuid
from typing import Any

import httpx

from actors.users import USERS_KEY, Users

PASSWORD = "correct horse battery"
JAKARTA = {
    "recipient": "Ani",
    "line1": "Jl. Sudirman 1",
    "city": "Jakarta",
    "region": "ID-JK",
    "postal_code": "10220",
}

WHOLESALE_PRICING = {
    "retail_price": {"amount": 30_000, "currency": "IDR"},
    "wholesale_price": {"amount": 24_000, "currency": "IDR"},
    "tiers": [{"min_quantity": 50, "unit_price": {"amount": 20_000, "currency": "IDR"}}],
    "wholesale_min_quantity": 10,
}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "details"} and body["error"] == code, body
    return body


async def sign_up(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    response = await client.post(
        "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Ani", **extra}
    )
    assert response.status_code == 201, response.text
    return {**response.json(), "email": email}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def buy(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    """A one-step checkout to Jakarta by regular service, waited for; `body` overrides."""
    response = await client.post(
        "/api/checkout?wait=true",
        json={"address": JAKARTA, "shipping_service": "REG", **body},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def log_in(client: httpx.AsyncClient, email: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": PASSWORD, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def admin(client: httpx.AsyncClient, shop: Any) -> dict[str, str]:
    """A new admin (the first admin of a shop is made by `rayshop seed`, not over HTTP)."""
    account = await sign_up(client)
    await (
        shop(Users)
        .get(USERS_KEY)
        .call(Users.grant, user_id=account["user"]["user_id"], role="admin")
    )
    return bearer((await log_in(client, account["email"]))["access_token"])


async def seller(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    """A customer an admin promotes to seller; the new role shows in the next token."""
    account = await sign_up(client)
    promoted = await client.post(
        f"/api/auth/users/{account['user']['user_id']}/roles",
        json={"role": "seller"},
        headers=admin_headers,
    )
    assert promoted.json()["roles"] == ["customer", "seller"], promoted.text
    tokens = await log_in(client, account["email"])
    return {"user_id": account["user"]["user_id"], "headers": bearer(tokens["access_token"])}


async def listed_product(
    client: httpx.AsyncClient,
    seller_headers: dict[str, str],
    admin_headers: dict[str, str],
    units: int = 500,
) -> str:
    sku = f"KOPI-{uuid.uuid4().hex[:8]}"
    created = await client.post(
        "/api/products",
        json={
            "sku": sku,
            "title": "Kopi Luwak",
            "category": "coffee",
            "pricing": WHOLESALE_PRICING,
        },
        headers=seller_headers,
    )
    assert created.status_code == 201, created.text
    delivery = {**admin_headers, "Idempotency-Key": uuid.uuid4().hex}
    for _ in range(2):  # a retried delivery note is counted once
        restocked = await client.post(
            "/api/admin/warehouses/jkt/restock",
            json={"sku": sku, "quantity": units},
            headers=delivery,
        )
        assert restocked.json()["available"] == units, restocked.text
    return sku
