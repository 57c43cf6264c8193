"""What the gateway is told by its deployment: CORS origins, rate limit, body cap, timeout."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewaySettings:
    cors_origins: tuple[str, ...] = ()
    rate_limit: int = 600
    """requests per client per `rate_window_s`"""
    rate_window_s: float = 60.0
    max_body_bytes: int = 1_000_000
    request_timeout_s: float = 30.0
    faults_enabled: bool = False
    """whether admins may arm the saga fault switches (for chaos drills; off in production)"""

    @property
    def saga_wait_s(self) -> float:
        """How long a route waits for a saga: answering before the request's own timeout,
        with the saga's state, beats a bare 504."""
        return self.request_timeout_s * 0.8

    @classmethod
    def from_env(cls) -> "GatewaySettings":
        origins = os.environ.get("RAYSHOP_CORS_ORIGINS", "")
        return cls(
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            rate_limit=int(os.environ.get("RAYSHOP_RATE_LIMIT", "600")),
            rate_window_s=float(os.environ.get("RAYSHOP_RATE_WINDOW_S", "60")),
            max_body_bytes=int(os.environ.get("RAYSHOP_MAX_BODY_BYTES", "1000000")),
            request_timeout_s=float(os.environ.get("RAYSHOP_REQUEST_TIMEOUT_S", "30")),
            faults_enabled=os.environ.get("RAYSHOP_FAULTS", "") == "1",
        )
