"""The hosts running in this process: a stub whose object lives here calls it without Ray.

Objects of one host group call each other all through a checkout; going through Ray would
pickle, send and schedule each call twice for nothing.
"""

from typing import Any, Protocol

from durable.client.calls import Call, Reply


class LocalHost(Protocol):
    name: str
    handle: Any
    """Its Ray actor handle: where the hosts of the objects it follows push their writes."""

    async def call_here(self, kind: str, call: Call) -> Reply: ...


_hosts: dict[tuple[str, str], LocalHost] = {}


def register(state_dir: str, name: str, host: LocalHost) -> None:
    _hosts[(state_dir, name)] = host


def host(state_dir: str, name: str) -> LocalHost | None:
    """The host called `name` if it runs in this process, else None."""
    return _hosts.get((state_dir, name))


def any_host(state_dir: str) -> LocalHost | None:
    """A host running in this process, if any: the one that follows objects for it."""
    return next((h for (d, _), h in _hosts.items() if d == state_dir), None)
