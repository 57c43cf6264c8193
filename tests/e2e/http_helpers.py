"""What the end-to-end tests share: accounts, tokens and the uniform error format."""

import uuid
from typing import Any

import httpx

PASSWORD = "correct horse battery"
JAKARTA = {
    "recipient": "Ani",
    "line1": "Jl. Sudirman 1",
    "city": "Jakarta",
    "region": "ID-JK",
    "postal_code": "10220",
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
