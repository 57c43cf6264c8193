"""Durable objects, durable sagas and an event bus for Ray: the public API.

An application declares its kinds (`DurableObject` subclasses with `@command`, `@query` and
`@waiter` methods), its sagas and its subscriptions in one `Application`, and calls its
objects through `connect(app)` or, inside an object or a saga, `ctx.objects(Kind)`. Every
other module of this package is internal.
"""

from durable.app import Application, PayloadCheck, SagaFunction
from durable.client.connect import connect
from durable.client.objects import Objects
from durable.client.stub import Callback, KindClient, ObjectStub
from durable.config import RuntimeConfig
from durable.context import CallContext
from durable.errors import HostUnavailable, RuntimeFault, TerminalError
from durable.events.bus import EventBus
from durable.events.envelope import Envelope
from durable.events.subscriber import Subscriber
from durable.events.subscriptions import BUS_KEY, Subscription
from durable.host.local_ref import LocalRef
from durable.kind import DurableObject, Event, command, query, waiter
from durable.local_ray import LocalRay
from durable.observe.correlation import correlation_id
from durable.placement.partition_map import PartitionMap, Slot
from durable.placement.policy import Dedicated, Partitioned
from durable.placement.view import volume_mounts
from durable.placement.volumes import HOME_VOLUME, VolumeMismatch, migrate_legacy_layout
from durable.retry import RetryPolicy
from durable.saga.context import SagaContext
from durable.saga.errors import StepFailed
from durable.saga.saga_object import Saga

__all__ = [
    "BUS_KEY",
    "HOME_VOLUME",
    "Application",
    "CallContext",
    "Callback",
    "Dedicated",
    "DurableObject",
    "Envelope",
    "Event",
    "EventBus",
    "HostUnavailable",
    "KindClient",
    "LocalRay",
    "LocalRef",
    "ObjectStub",
    "Objects",
    "PartitionMap",
    "Partitioned",
    "PayloadCheck",
    "RetryPolicy",
    "RuntimeConfig",
    "RuntimeFault",
    "Saga",
    "SagaContext",
    "SagaFunction",
    "Slot",
    "StepFailed",
    "Subscriber",
    "Subscription",
    "TerminalError",
    "VolumeMismatch",
    "command",
    "connect",
    "correlation_id",
    "migrate_legacy_layout",
    "query",
    "volume_mounts",
    "waiter",
]
