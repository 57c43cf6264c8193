"""A call to make later on another object, stored as data: `{"kind": "module:Class", "key":
..., "method": ..., "kwargs": {...}}`. It lets an object notify a caller of any kind (a saga
waiting for a payment) without this layer importing the caller's code."""

from typing import Any

from actors.config import RuntimeConfig
from actors.kind import load_kind
from actors.stub import KindClient


async def invoke(config: RuntimeConfig, callback: dict[str, Any]) -> Any:
    stub = KindClient.shared(load_kind(callback["kind"]), config).get(callback["key"])
    return await getattr(stub, callback["method"])(**callback.get("kwargs", {}))
