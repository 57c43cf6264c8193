"""Durable objects, durable sagas and an event bus for Ray: the public API.

An application declares its kinds (`DurableObject` subclasses with `@command`, `@query` and
`@waiter` methods), its sagas and its subscriptions in one `Application`, and calls its
objects through `connect(app)` or, inside an object or a saga, `ctx.objects(Kind)`. Every
other module of this package is internal.
"""

from durable.app import Admission, Application, PayloadCheck, SagaFunction
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
from durable.gc_policy import collect_garbage_less_often, keep_startup_objects
from durable.host.local_ref import LocalRef
from durable.ids import unique_id
from durable.kind import DurableObject, Event, command, query, waiter
from durable.local_ray import LocalRay
from durable.observe.correlation import correlation_id
from durable.placement.operator import (
    PlacementRefused,
    drain,
    move_partition,
    partition_stats,
    partitions_report,
    rebalance,
    scale,
    step_report,
    volumes_report,
)
from durable.placement.partition_map import PartitionMap, Slot
from durable.placement.planning import Step
from durable.placement.policy import Dedicated, Partitioned
from durable.placement.view import volume_mounts
from durable.placement.volumes import (
    HOME_VOLUME,
    VolumeMismatch,
    migrate_legacy_layout,
    volume_resource,
)
from durable.retry import RetryPolicy
from durable.saga.context import SagaContext
from durable.saga.errors import StepFailed
from durable.saga.saga_object import Saga

__all__ = [
    "BUS_KEY",
    "HOME_VOLUME",
    "Admission",
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
    "PlacementRefused",
    "RetryPolicy",
    "RuntimeConfig",
    "RuntimeFault",
    "Saga",
    "SagaContext",
    "SagaFunction",
    "Slot",
    "Step",
    "StepFailed",
    "Subscriber",
    "Subscription",
    "TerminalError",
    "VolumeMismatch",
    "collect_garbage_less_often",
    "command",
    "connect",
    "correlation_id",
    "drain",
    "keep_startup_objects",
    "migrate_legacy_layout",
    "move_partition",
    "partition_stats",
    "partitions_report",
    "query",
    "rebalance",
    "scale",
    "step_report",
    "unique_id",
    "volume_mounts",
    "volume_resource",
    "volumes_report",
    "waiter",
]
