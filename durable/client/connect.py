"""Joining a running application from any Python process (a CLI, a load test, a notebook)."""

from pathlib import Path

import ray

from durable.app import Application
from durable.client.objects import Objects
from durable.config import RuntimeConfig
from durable.local_ray import LocalRay


def connect(
    app: Application, address: str | None = None, *, config: RuntimeConfig | None = None
) -> Objects:
    """All objects of `app`: on the Ray at `address`, else the local Ray started for this
    state directory (`LocalRay`), else Ray's own choice ("auto": a cluster)."""
    config = config or RuntimeConfig.from_env()
    if not ray.is_initialized():
        address = address or LocalRay(Path(config.state_dir)).address() or "auto"
        ray.init(address=address, namespace=app.namespace, log_to_driver=False)
    return Objects.shared(app, config)
