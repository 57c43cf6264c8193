"""A call to make later on another object, stored as data: `{"kind": "module:Class", "key":
..., "method": ..., "kwargs": {...}}`. It lets an object notify a caller of any kind (a saga
waiting for a payment) without this layer importing the caller's code."""

from typing import Any

from actors.config import RuntimeConfig
from actors.kind import load_kind
from actors.stub import KindClient

_clients: dict[tuple[str, str], KindClient[Any]] = {}


async def invoke(config: RuntimeConfig, callback: dict[str, Any]) -> Any:
    client_key = (callback["kind"], config.state_dir)
    client = _clients.get(client_key)
    if client is None:
        client = _clients[client_key] = KindClient(load_kind(callback["kind"]), config)
    stub = client.get(callback["key"])
    return await getattr(stub, callback["method"])(**callback.get("kwargs", {}))
