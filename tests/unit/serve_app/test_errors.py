"""Every failure leaves in the uniform error format, our own bugs included, and every answer
carries its correlation id."""

from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.errors import DomainError
from serve_app.edge import CORRELATION_HEADER, Edge
from serve_app.errors import install_error_handlers
from serve_app.rate_limit import RateLimiter
from serve_app.settings import GatewaySettings
from serve_app.tokens import TokenIssuer

SERVICES = SimpleNamespace(
    settings=GatewaySettings(),
    limiter=RateLimiter(1_000, 60),
    issuer=TokenIssuer(b"k" * 32),
)


class OutOfTea(DomainError):
    code = "out_of_tea"


def app_failing_with(error: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    async def fail() -> None:
        raise error

    app.add_middleware(Edge, services=lambda: SERVICES)
    return TestClient(app, raise_server_exceptions=False)


def test_a_bug_is_a_500_in_the_error_format_without_its_details() -> None:
    response = app_failing_with(KeyError("secret internals")).get(
        "/fail", headers={CORRELATION_HEADER: "req-500"}
    )
    assert response.status_code == 500
    assert response.headers[CORRELATION_HEADER] == "req-500", "the answer to trace most"
    assert response.json() == {
        "error": "internal_error",
        "message": "the shop failed to answer",
        "details": {},
    }


def test_a_business_refusal_keeps_its_code_and_details() -> None:
    response = app_failing_with(OutOfTea("no tea left", sku="TEA")).get("/fail")
    assert response.status_code == 400
    assert response.json() == {
        "error": "out_of_tea",
        "message": "no tea left",
        "details": {"sku": "TEA"},
    }
