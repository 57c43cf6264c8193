"""The gateway over real HTTP: health, sign-up and sign-in, tokens, roles, the uniform error
format, correlation ids, the rate limit and the OpenAPI description."""

import time
from typing import Any

import jwt

from actors.users import USERS_KEY, Users
from tests.e2e.conftest import ALLOWED_ORIGIN, RATE_LIMIT
from tests.e2e.http_helpers import PASSWORD, assert_error, bearer, sign_up


async def test_the_gateway_is_live_and_ready_once_the_objects_answer(client: Any) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_sign_up_then_sign_in_then_read_my_profile(client: Any) -> None:
    account = await sign_up(client)
    assert account["user"]["roles"] == ["customer"]
    login = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": PASSWORD}
    )
    assert login.status_code == 200
    me = await client.get("/api/auth/me", headers=bearer(login.json()["access_token"]))
    assert me.json()["email"] == account["email"] and "password" not in me.text
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]


async def test_wrong_passwords_and_taken_emails_are_refused_plainly(client: Any) -> None:
    account = await sign_up(client)
    wrong = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": "not the password"}
    )
    assert_error(wrong, 401, "invalid_credentials")
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert_error(unknown, 401, "invalid_credentials")
    again = await client.post(
        "/api/auth/signup", json={"email": account["email"], "password": PASSWORD, "name": "B"}
    )
    assert_error(again, 409, "email_taken")
    admin = await client.post(
        "/api/auth/signup",
        json={"email": "x@example.com", "password": PASSWORD, "name": "X", "role": "admin"},
    )
    assert_error(admin, 403, "forbidden")


async def test_missing_expired_forged_and_wrong_algorithm_tokens_get_401(
    client: Any, runtime_config: Any
) -> None:
    account = await sign_up(client)
    claims = {"sub": account["user"]["user_id"], "roles": ["customer"], "typ": "access"}
    now = int(time.time())
    secret = (runtime_config.state_dir + "/secrets/jwt").encode()
    with open(secret, "rb") as stored:
        key = stored.read().strip()
    expired = jwt.encode({**claims, "iat": now - 100, "exp": now - 10}, key, algorithm="HS256")
    forged = jwt.encode({**claims, "iat": now, "exp": now + 60}, b"guess", algorithm="HS256")
    wrong_alg = jwt.encode({**claims, "iat": now, "exp": now + 60}, key, algorithm="HS512")
    unsigned = jwt.encode({**claims, "iat": now, "exp": now + 60}, None, algorithm="none")
    refresh_as_access = account["tokens"]["refresh_token"]
    assert_error(await client.get("/api/auth/me"), 401, "unauthorized")
    for token in (expired, forged, wrong_alg, unsigned, refresh_as_access, "not-a-jwt"):
        response = await client.get("/api/auth/me", headers=bearer(token))
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_admin_routes_need_an_admin(client: Any, shop: Any) -> None:
    customer = await sign_up(client)
    target = customer["user"]["user_id"]
    grant = await client.post(
        f"/api/auth/users/{target}/roles",
        json={"role": "seller"},
        headers=bearer(customer["tokens"]["access_token"]),
    )
    assert_error(grant, 403, "forbidden")
    admin = await sign_up(client)
    await (
        shop(Users).get(USERS_KEY).call(Users.grant, user_id=admin["user"]["user_id"], role="admin")
    )
    login = await client.post(
        "/api/auth/login", json={"email": admin["email"], "password": PASSWORD}
    )
    granted = await client.post(
        f"/api/auth/users/{target}/roles",
        json={"role": "seller"},
        headers=bearer(login.json()["access_token"]),
    )
    assert granted.status_code == 200 and granted.json()["roles"] == ["customer", "seller"]


async def test_bad_requests_get_a_4xx_in_the_error_format(client: Any) -> None:
    malformed = await client.post(
        "/api/auth/signup", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(malformed, 422, "invalid_input")
    unknown_field = await client.post(
        "/api/auth/signup",
        json={"email": "a@example.com", "password": PASSWORD, "name": "A", "admin": True},
    )
    assert_error(unknown_field, 422, "invalid_input")
    wrong_type = await client.post("/api/auth/login", json={"email": 5, "password": []})
    assert_error(wrong_type, 422, "invalid_input")
    overlong = await client.post(
        "/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD, "name": "A" * 500}
    )
    assert_error(overlong, 422, "invalid_input")
    assert_error(await client.get("/api/nowhere"), 404, "not_found")
    huge = await client.post("/api/auth/login", content=b"x" * 2_000_000)
    assert_error(huge, 413, "body_too_large")


async def test_allowed_origins_get_cors_headers_and_others_do_not(client: Any) -> None:
    preflight = await client.options(
        "/api/auth/login",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    live = await client.get("/health/live", headers={"Origin": ALLOWED_ORIGIN})
    assert live.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    stranger = await client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


async def test_a_correlation_id_is_echoed_or_made(client: Any) -> None:
    given = await client.get("/health/live", headers={"X-Correlation-ID": "req-42"})
    assert given.headers["X-Correlation-ID"] == "req-42"
    made = await client.get("/health/live", headers={"X-Correlation-ID": "bad id <script>"})
    assert made.headers["X-Correlation-ID"] not in ("", "bad id <script>")


async def test_openapi_names_every_schema_and_docs_are_served(client: Any) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    assert {"SignUpRequest", "LoginRequest", "Tokens", "Profile", "SignedUp"} <= set(schemas)
    assert (await client.get("/docs")).status_code == 200


async def test_the_request_over_the_limit_gets_429_with_retry_after(client: Any) -> None:
    account = await sign_up(client)
    headers = bearer(account["tokens"]["access_token"])
    answers = [
        (await client.get("/api/auth/me", headers=headers)).status_code for _ in range(RATE_LIMIT)
    ]
    assert answers == [200] * RATE_LIMIT
    over = await client.get("/api/auth/me", headers=headers)
    assert_error(over, 429, "rate_limited")
    assert int(over.headers["Retry-After"]) >= 1
