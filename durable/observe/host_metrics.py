"""Host metrics through `ray.util.metrics` (ARCHITECTURE §10): they reach the dashboard's
Prometheus endpoint. Counts are added per batch, not per call, to keep the hot path cheap."""

from ray.util import metrics

from durable.placement import metrics as placement_metrics


class RayHostMetrics:
    def __init__(self, kind: str, host: str) -> None:
        tags = {"kind": kind, "host": host}
        self._host = host
        keys = ("kind", "host")
        self._calls = metrics.Counter("rayshop_object_calls", "Calls run on objects", tag_keys=keys)
        self._activations = metrics.Counter(
            "rayshop_object_activations", "Objects loaded into memory", tag_keys=keys
        )
        self._activation_ms = metrics.Histogram(
            "rayshop_object_activation_ms",
            "Time to load an object from snapshot + events",
            boundaries=[0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000],
            tag_keys=keys,
        )
        self._passivations = metrics.Counter(
            "rayshop_object_passivations", "Idle objects evicted from memory", tag_keys=keys
        )
        self._resident = metrics.Gauge(
            "rayshop_resident_objects", "Objects in memory on a host", tag_keys=keys
        )
        self._batch = metrics.Histogram(
            "rayshop_commit_batch_size",
            "Write units per group commit",
            boundaries=[1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
            tag_keys=keys,
        )
        self._alarms = metrics.Counter(
            "rayshop_alarms_fired", "Alarm handlers run", tag_keys=(*keys, "outcome")
        )
        for metric in (
            self._calls,
            self._activations,
            self._activation_ms,
            self._passivations,
            self._resident,
            self._batch,
        ):
            metric.set_default_tags(tags)
        self._alarms.set_default_tags(tags)

    def calls(self, count: int) -> None:
        self._calls.inc(count)

    def activated(self, seconds: float) -> None:
        self._activations.inc()
        self._activation_ms.observe(seconds * 1000)

    def passivated(self, count: int) -> None:
        self._passivations.inc(count)

    def resident(self, count: int) -> None:
        self._resident.set(count)

    def batch(self, size: int) -> None:
        self._batch.observe(size)

    def paused(self, seconds: float) -> None:
        placement_metrics.call_paused(self._host, seconds)

    def alarm_fired(self, ok: bool) -> None:
        self._alarms.inc(tags={"outcome": "ok" if ok else "failed"})
