"""`bench.gateway_app` measures the real gateway app: every route it times must answer as it
would a shopper, or its figures would time error pages."""

import pytest

from bench import gateway_app
from serve_app.routes import deps


async def test_every_route_the_app_bench_times_answers_its_shopper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deps, "_services", None)  # restored afterwards for the other tests
    monkeypatch.setattr(gateway_app, "WARM_UP", 3)
    monkeypatch.setattr(gateway_app, "REQUESTS", 5)
    figures = await gateway_app.measure()
    assert set(figures) == {"live", "add_item", "checkout"}
    assert all(us > 0 for us in figures.values()), figures
