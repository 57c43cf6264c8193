"""The shop's own local Ray (ARCHITECTURE §10, embedded default).

`rayshop up` starts a Ray head of its own, in a temporary directory named after the state
directory, and records its address beside the state (`<state>/ray.json`). Every later command
joins that Ray and no other: not another project's, not a benchmark's, and not a dead one whose
address Ray's own temp dir still names. `rayshop down` stops only the processes of that Ray.
"""

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil
from ray._raylet import Config as ray_config  # type: ignore[attr-defined]

LOCALHOST = "127.0.0.1"
PROBE_TIMEOUT_S = 1.0
STOP_GRACE_S = 10.0
AUTH_MODE_VARIABLE = "RAY_AUTH_MODE"


@dataclass(frozen=True)
class LocalRay:
    """The Ray of the shop whose state lives in `state_dir`."""

    state_dir: Path

    @property
    def record(self) -> Path:
        return self.state_dir / "ray.json"

    @property
    def temp_dir(self) -> Path:
        """Short on purpose: Ray puts Unix sockets under it, whose paths are capped at 107
        bytes, so it cannot live under a state directory of any depth."""
        tag = zlib.crc32(str(self.state_dir.resolve()).encode())
        return Path(tempfile.gettempdir()) / f"rayshop-{tag:08x}"

    def address(self) -> str | None:
        """The recorded Ray's address if its GCS answers now; None if none is recorded or the
        recorded one is gone (a stale record is removed)."""
        try:
            address = json.loads(self.record.read_text())["address"]
        except (OSError, ValueError, KeyError):
            return None
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S):
                use_token_authentication()
                return str(address)
        except (OSError, ValueError):
            self.record.unlink(missing_ok=True)
            return None

    def start(self, dashboard_port: int, env: Mapping[str, str] | None = None) -> str:
        """Starts a head with its dashboard on 127.0.0.1, on ports nobody else holds, with
        the `state` resource that hosts ask for, and `env` in the environment of every
        process it starts; returns its address."""
        command = [
            _ray_command(),
            "start",
            "--head",
            f"--temp-dir={self.temp_dir}",
            f"--port={free_port()}",
            f"--ray-client-server-port={free_port()}",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-host={LOCALHOST}",
            f"--dashboard-port={dashboard_port}",
            "--resources",
            json.dumps({"state": 1}),
            "--disable-usage-stats",
        ]
        use_token_authentication()
        env = {**os.environ, **(env or {}), "RAY_USAGE_STATS_ENABLED": "0"}
        env.pop("RAY_ADDRESS", None)
        token = [_ray_command(), "get-auth-token", "--generate"]  # prints it: never shown
        subprocess.run(token, capture_output=True, check=False, env=env)
        started = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if started.returncode != 0:
            sys.stderr.write(started.stdout + started.stderr)
            raise SystemExit(f"could not start Ray (exit {started.returncode})")
        address = (self.temp_dir / "ray_current_cluster").read_text().strip()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.record.with_suffix(".tmp")
        temporary.write_text(json.dumps({"address": address, "temp_dir": str(self.temp_dir)}))
        temporary.replace(self.record)
        return address

    def stop(self) -> int:
        """Stops every process of this Ray (and nothing else); returns how many there were."""
        marks = [str(self.temp_dir)]
        with contextlib.suppress(OSError, ValueError, KeyError):
            marks.append(json.loads(self.record.read_text())["address"])
        processes = _processes_marked(marks)
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.terminate()
        for process in _still_running(processes, STOP_GRACE_S):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        self.record.unlink(missing_ok=True)
        return len(processes)


def use_token_authentication() -> None:
    """Ray's token authentication for the shop's Ray and for whoever joins it (unless the
    environment says otherwise). Ray turns it on by itself only for a cluster it finds
    automatically, never for an explicit address, so without this a joiner is refused.
    Ray reads its settings once per process: they are read again, as Ray itself does when
    it turns authentication on."""
    if AUTH_MODE_VARIABLE not in os.environ:
        os.environ[AUTH_MODE_VARIABLE] = "token"
        ray_config.initialize("")


def _processes_marked(marks: list[str]) -> list[psutil.Process]:
    """Processes whose command line names one of `marks`, with all their descendants (Ray's
    workers and agents name neither)."""
    named = re.compile("|".join(re.escape(mark) + r"(?![\w.-])" for mark in marks))
    found: dict[int, psutil.Process] = {}
    own = os.getpid()
    for process in psutil.process_iter(["cmdline"]):
        command_line = " ".join(process.info["cmdline"] or [])
        if process.pid == own or not named.search(command_line):
            continue
        try:
            family = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        found.update((member.pid, member) for member in family)
    return list(found.values())


def _still_running(processes: list[psutil.Process], grace_s: float) -> list[psutil.Process]:
    """Those of `processes` still running after up to `grace_s` (an exited process that its
    parent has not reaped yet counts as gone)."""
    deadline = time.monotonic() + grace_s
    running = processes
    while running and time.monotonic() < deadline:
        time.sleep(0.1)
        running = [process for process in running if _running(process)]
    return running


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return int(probe.getsockname()[1])


def _ray_command() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "ray")
    return beside if os.path.exists(beside) else (shutil.which("ray") or "ray")
