"""The gateway (ARCHITECTURE §8): a Ray Serve deployment with a FastAPI ingress, calling the
objects through stubs and the password service through a deployment handle.

Every request first passes `serve_app.edge` (correlation id, CORS, body cap, rate limit,
timeout); every error leaves in the uniform format of `serve_app.errors`.
"""

from typing import Any

from fastapi import FastAPI
from ray import serve
from ray.serve.schema import LoggingConfig

from actors.secrets import secret
from bootstrap import SHOP
from durable import Objects, RuntimeConfig, collect_garbage_less_often, keep_startup_objects
from serve_app.edge import Edge
from serve_app.errors import install_error_handlers
from serve_app.graph.schema import graphql_router
from serve_app.password_service import PasswordService
from serve_app.rate_limit import RateLimiter
from serve_app.routes import (
    account,
    admin,
    auth,
    catalog,
    checkout,
    companies,
    coupons,
    deps,
    health,
    insights,
    inventory,
    orders,
    payments,
    placement,
    products,
    quotes,
    shopping,
)
from serve_app.settings import GatewaySettings
from serve_app.tokens import TokenIssuer


def build_app() -> FastAPI:
    """The gateway's FastAPI app. Serve calls this in each replica: strawberry's GraphQL
    routes are closures whose annotations name types of their own module, which a pickled
    copy of the app would no longer resolve."""
    app = FastAPI(
        title="rayshop",
        version="0.1.0",
        description="Retail and wholesale shop on Ray: durable objects, sagas, events.",
    )
    install_error_handlers(app)
    # the routes a shopper calls most come first: a request is matched against them in order
    for router in (
        shopping.router,
        checkout.router,
        catalog.router,
        health.router,
        auth.router,
        products.router,
        inventory.router,
        account.router,
        companies.router,
        quotes.router,
        orders.router,
        payments.router,
        coupons.router,
        admin.router,
        insights.router,
        graphql_router(),
        placement.router,
    ):
        app.include_router(router)
    app.add_middleware(Edge, services=deps.services)
    return app


@serve.deployment(max_ongoing_requests=200)
@serve.ingress(build_app)
class Gateway:
    """One replica: its own stubs and rate-limit counts; all state lives in the objects."""

    def __init__(self, config: RuntimeConfig, settings: GatewaySettings, passwords: Any) -> None:
        collect_garbage_less_often()
        deps.install(
            deps.Services(
                shop=Objects(SHOP, config),
                issuer=TokenIssuer(secret(config.state_dir, "jwt", "RAYSHOP_JWT_SECRET")),
                passwords=passwords,
                limiter=RateLimiter(settings.rate_limit, settings.rate_window_s),
                settings=settings,
            )
        )
        keep_startup_objects()


def build(config: RuntimeConfig, settings: GatewaySettings) -> Any:
    """The Serve application: `serve.run(build(...), route_prefix="/")`."""
    # Serve's decorators add `bind` at run time; its type stubs do not say so.
    return Gateway.bind(config, settings, PasswordService.bind())  # type: ignore[attr-defined]


SERVE_LOGS = LoggingConfig(encoding="JSON", enable_access_log=False)
"""JSON logs; no access log line per request (our own JSON logs carry the correlation ids),
which costs the proxy and the replica CPU on every call."""


def start_gateway(config: RuntimeConfig, settings: GatewaySettings, port: int) -> None:
    """Serve on 127.0.0.1:`port` and deploy the application; returns once it is ready."""
    serve.start(http_options={"host": "127.0.0.1", "port": port}, logging_config=SERVE_LOGS)
    serve.run(
        build(config, settings),
        name="rayshop",
        route_prefix="/",
        logging_config=SERVE_LOGS,
    )


def app_from_env() -> Any:
    """The application `serve_config.yaml` deploys: settings from the RAYSHOP_* environment."""
    return build(RuntimeConfig.from_env(), GatewaySettings.from_env())
