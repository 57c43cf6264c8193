"""The hosts running in this process: a stub whose object lives here calls it without Ray.

Objects of one host group call each other all through a checkout; going through Ray would
pickle, send and schedule each call twice for nothing.
"""

from typing import Protocol

from durable.client.calls import Call, Reply


class LocalHost(Protocol):
    async def call_here(self, kind: str, call: Call) -> Reply: ...


_hosts: dict[tuple[str, str], LocalHost] = {}


def register(state_dir: str, name: str, host: LocalHost) -> None:
    _hosts[(state_dir, name)] = host


def host(state_dir: str, name: str) -> LocalHost | None:
    """The host called `name` if it runs in this process, else None."""
    return _hosts.get((state_dir, name))
