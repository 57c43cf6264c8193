"""CPU seconds per kind of process while a load runs: where a request's time goes."""

import contextlib
from collections.abc import Iterator

import psutil

FRONT_DOOR = ("haproxy", "ray::ProxyActor")
GATEWAY = ("ray::ServeReplica:rayshop:Gateway",)
PASSWORDS = ("ray::ServeReplica:rayshop:PasswordService",)
NOT_HOSTS = ("ray::Serve", "ray::ProxyActor", "ray::HAProxyManager", "ray::IDLE", "ray::Dash")


def group_of(process: psutil.Process) -> str | None:
    """Which part of the shop a process is: front door, gateway, passwords, hosts, or None."""
    name = " ".join(process.cmdline()[:1]) or process.name()
    if name.startswith(FRONT_DOOR) or process.name() == "haproxy":
        return "front_door"
    if name.startswith(GATEWAY):
        return "gateway"
    if name.startswith(PASSWORDS):
        return "passwords"
    if name.startswith("ray::") and not name.startswith(NOT_HOSTS):
        return "hosts"
    return None


def _processes() -> Iterator[tuple[int, str, float]]:
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            group = group_of(process)
            if group is not None:
                times = process.cpu_times()
                yield process.pid, group, times.user + times.system


class CpuMeter:
    """CPU seconds each group (and this process, the load generator) used between `start`
    and `stop`; a process that appeared in between counts from zero."""

    def __init__(self) -> None:
        self.used: dict[str, float] = {}
        """CPU seconds by group, summed over every `start`..`stop`."""

    def start(self) -> None:
        self._before = {pid: seconds for pid, _, seconds in _processes()}
        self._load_before = _own_seconds()

    def stop(self) -> dict[str, float]:
        """What this `start`..`stop` used (also added to `used`)."""
        used: dict[str, float] = {"front_door": 0.0, "gateway": 0.0, "passwords": 0.0}
        used["hosts"] = 0.0
        for pid, group, seconds in _processes():
            used[group] += seconds - self._before.get(pid, 0.0)
        used["load_generator"] = _own_seconds() - self._load_before
        for group, seconds in used.items():
            self.used[group] = self.used.get(group, 0.0) + seconds
        return used


def _own_seconds() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)
