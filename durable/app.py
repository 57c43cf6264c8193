"""What an application hands the runtime: its kinds, sagas, subscriptions and the check its
published payloads pass (Temporal's `Worker(workflows=..., activities=...)`).

Hosts receive the application whole when they are created: Ray pickles classes and functions
by reference, so a host process imports the declaring module and knows exactly what its
caller declared. Nothing of the application is named by a string.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from durable.errors import UnknownKind
from durable.events.subscriptions import Subscription
from durable.kind import DurableObject
from durable.placement.policy import Partitioned
from storage.records import JsonDict

if TYPE_CHECKING:
    from durable.client.objects import Objects
    from durable.saga.context import SagaContext

AdapterFactory = Callable[["Objects"], Any]
"""Builds one adapter in the process that first needs it (a payment provider, a mailer); it
may call objects through the `Objects` it is given."""
SagaFunction = Callable[["SagaContext", dict[str, Any]], Awaitable[Any]]
Admission = Callable[["Objects", dict[str, Any], dict[str, Any]], Awaitable[None]]
"""(objects, the saga's input, what its starter sent for the check): raises to refuse a saga
before its first journal entry, so a refused saga leaves nothing behind."""
PayloadCheck = Callable[[str, JsonDict], tuple[str, JsonDict]]
"""(event type, payload) -> (topic, payload as it is published); raises to refuse it."""


def topic_is_type(event_type: str, payload: JsonDict) -> tuple[str, JsonDict]:
    """The default check: any payload, published on a topic named after its event type."""
    return event_type, payload


@dataclass(frozen=True)
class Application:
    """Everything the runtime hosts and runs for one application.

    Attributes:
        name: what the application calls itself (host titles, logs).
        kinds: every object kind it hosts, the saga kind and the event bus included if used.
        sagas: saga functions by saga type, run by the saga kind.
        admissions: by saga type, a check a starter may ask to run before the saga starts
            (`Saga.start(..., admission={...})`), in the same call: what it raises refuses the
            saga before its first journal entry.
        subscriptions: who listens to which topics of the event bus.
        check_payload: validates what objects publish and names its topic.
        adapters: how to build the adapter of each port the kinds use (`ctx.adapter(Port)`),
            so no adapter is made at import and tests can hand in their own.
        namespace: the Ray namespace its hosts are named in, so that applications sharing a
            Ray cluster never meet each other's hosts.
    """

    name: str
    kinds: tuple[type[DurableObject], ...]
    sagas: Mapping[str, SagaFunction] = field(default_factory=dict)
    admissions: Mapping[str, Admission] = field(default_factory=dict)
    subscriptions: tuple[Subscription, ...] = ()
    check_payload: PayloadCheck = topic_is_type
    adapters: Mapping[Any, AdapterFactory] = field(default_factory=dict)
    namespace: str = "durable"

    def __post_init__(self) -> None:
        names = [kind.kind for kind in self.kinds]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: two kinds share a name in {names}")
        counts: dict[str, set[int]] = {}
        for kind in self.kinds:
            if isinstance(kind.placement, Partitioned) and kind.placement.group:
                counts.setdefault(kind.placement.group, set()).add(kind.placement.partitions)
        for group, found in counts.items():
            if len(found) > 1:  # partition p of every kind of a group lives in one process
                raise ValueError(f"{self.name}: group {group!r} mixes partition counts {found}")

    def with_kinds(self, *kinds: type[DurableObject]) -> "Application":
        """This application hosting `kinds` too (test and benchmark kinds beside the real)."""
        return replace(self, kinds=(*self.kinds, *kinds))

    def kind_named(self, name: str) -> type[DurableObject]:
        """The kind called `name`; a `module:Class` or class name stored by older versions
        finds the kind that is, or derives from, that class.

        Raises:
            UnknownKind: no kind of the application answers to `name`.
        """
        for kind in self.kinds:
            if kind.kind == name:
                return kind
        class_name = name.rpartition(":")[2]
        for kind in self.kinds:
            if any(base.__name__ == class_name for base in kind.__mro__):
                return kind
        raise UnknownKind(f"{self.name} has no kind {name!r}")

    def group_members(self, group: str) -> tuple[str, ...]:
        """The kinds (by name) that share the host processes of `group`."""
        return tuple(
            kind.kind
            for kind in self.kinds
            if isinstance(kind.placement, Partitioned) and kind.placement.group == group
        )
