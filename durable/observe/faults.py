"""Fault injection (off by default): named points where a host process can be made to die,
so tests and operators can check that every saga still ends well (ARCHITECTURE §11).

The switches live in the process they kill, so a restarted host starts with none set.
"""

import logging
import os
import signal

import ray

log = logging.getLogger(__name__)

_armed: dict[str, tuple[str, str]] = {}
KILL_SELF = "kill"
KILL_ACTOR = "kill_actor:"


def arm(point: str, action: str = KILL_SELF, namespace: str = "") -> None:
    """At `point` (e.g. "before:charge_payment"), do `action` once: "kill" this process, or
    "kill_actor:NAME" to kill the process of the host so named in `namespace` and carry on."""
    if action != KILL_SELF and not action.startswith(KILL_ACTOR):
        raise ValueError(f"unknown fault action {action!r}")
    _armed[point] = (action, namespace)


async def strike(point: str) -> None:
    armed = _armed.pop(point, None)
    if armed is None:
        return
    action, namespace = armed
    log.warning("fault injected at %s: %s", point, action)
    if action == KILL_SELF:
        os.kill(os.getpid(), signal.SIGKILL)
    victim = ray.get_actor(action.removeprefix(KILL_ACTOR), namespace=namespace)
    os.kill(await victim.ready.remote(), signal.SIGKILL)
