"""The front door's settings and the HAProxy wrapper that keeps its side listeners local."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from serve_app.front_door import (
    WRAPPER,
    front_door_env,
    front_door_mode,
    real_haproxy,
    remove_run_dir,
)

CONFIG = """global
defaults
    errorfile 502 /tmp/serve/500.http
    errorfile 503 /tmp/serve/500.http
    errorfile 504 /tmp/serve/500.http
    stats socket /tmp/admin.sock mode 666 level admin
frontend prometheus
    bind :9101
    mode http
frontend http_frontend
    bind 127.0.0.1:8000
listen stats
  bind *:8404
  stats enable
"""
SERVED = """global
    log 127.0.0.1:514 local0 info
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    errorfile 502 /tmp/serve/500.http
frontend http_frontend
    bind 127.0.0.1:8000
    default_backend gateway
backend default_backend
    http-request return status 404 content-type text/plain lf-string "Path '%[path]' not found."
backend gateway
    server replica 127.0.0.1:1
"""


def test_the_wrapper_moves_stats_and_metrics_to_loopback_and_keeps_the_api_bind(
    tmp_path: Path,
) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(CONFIG.replace("127.0.0.1:8000", "*:8000"))
    wrapper = tmp_path / "haproxy"
    wrapper.write_text(WRAPPER.replace("{binary}", "true"))
    wrapper.chmod(0o755)
    ports = {"RAY_SERVE_HAPROXY_STATS_PORT": "8404", "RAY_SERVE_HAPROXY_METRICS_PORT": "9101"}

    subprocess.run([wrapper, "-db", "-f", config], env={**os.environ, **ports}, check=True)

    lines = [line.strip() for line in config.read_text().splitlines()]
    binds = [line for line in lines if line.startswith("bind ")]
    assert binds == ["bind 127.0.0.1:9101", "bind *:8000", "bind 127.0.0.1:8404"]
    errorfiles = {line.split()[1]: line.split()[2] for line in lines if line.startswith("error")}
    assert errorfiles == {
        "502": f"{tmp_path}/rayshop-503.http",
        "503": f"{tmp_path}/rayshop-503.http",
        "504": f"{tmp_path}/rayshop-504.http",
    }


def checked_by_haproxy(tmp_path: Path, log_target: str | None) -> list[str]:
    """SERVED as the wrapper leaves it, once the real HAProxy has found it valid."""
    config = tmp_path / "haproxy.cfg"
    config.write_text(SERVED)
    wrapper = tmp_path / "haproxy"
    wrapper.write_text(WRAPPER.replace("{binary}", real_haproxy()))
    wrapper.chmod(0o755)
    env = {**os.environ, **front_door_env("haproxy")}
    env.pop("RAY_SERVE_HAPROXY_LOG_TARGET", None)
    if log_target is not None:
        env["RAY_SERVE_HAPROXY_LOG_TARGET"] = log_target

    checked = subprocess.run([wrapper, "-c", "-f", config], env=env, capture_output=True)

    remove_run_dir(env)
    assert checked.returncode == 0, checked.stderr.decode()
    return [line.strip() for line in config.read_text().splitlines()]


def test_haproxy_repeats_only_harmless_requests_and_answers_unrouted_ones_503(
    tmp_path: Path,
) -> None:
    lines = checked_by_haproxy(tmp_path, log_target=None)

    frontend = lines.index("frontend http_frontend")
    assert lines[frontend + 1 : frontend + 4] == [
        "option http-buffer-request",
        "http-request disable-l7-retry if !{ method GET HEAD OPTIONS } "
        "!{ req.hdr(idempotency-key) -m found }",
        f"http-response return status 503 errorfile {tmp_path}/rayshop-503.http "
        "if { status 404 } { res.hdr(content-type) -m beg text/plain }",
    ]
    retried_on = front_door_env("haproxy")
    remove_run_dir(retried_on)
    assert retried_on["RAY_SERVE_HAPROXY_RETRY_ON"].split() == ["conn-failure", "empty-response"]
    unrouted = f"http-request return status 503 errorfile {tmp_path}/rayshop-503.http"
    assert unrouted in lines, "no application routed: 503, not Serve's 404"


@pytest.mark.parametrize(("log_target", "logged"), [(None, False), ("/dev/log", True)])
def test_haproxy_logs_only_where_the_operator_said(
    tmp_path: Path, log_target: str | None, logged: bool
) -> None:
    lines = checked_by_haproxy(tmp_path, log_target)

    assert ("log 127.0.0.1:514 local0 info" in lines) is logged  # its UDP socket with it


@pytest.mark.parametrize(("status", "code"), [(503, "unavailable"), (504, "timeout")])
def test_haproxy_answers_in_the_apis_error_format_with_a_true_length(
    tmp_path: Path, status: int, code: str
) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(CONFIG)
    wrapper = tmp_path / "haproxy"
    wrapper.write_text(WRAPPER.replace("{binary}", "true"))
    wrapper.chmod(0o755)
    subprocess.run([wrapper, "-db", "-f", config], check=True)

    head, _, body = (tmp_path / f"rayshop-{status}.http").read_bytes().partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert lines[0].startswith(f"HTTP/1.1 {status} ")
    assert int(headers["Content-Length"]) == len(body)
    assert json.loads(body)["error"] == code


def test_haproxy_is_the_default_and_the_python_proxy_a_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RAYSHOP_FRONT_DOOR", raising=False)
    assert front_door_mode() == "haproxy"
    env = front_door_env()
    assert env["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
    assert Path(env["RAY_SERVE_HAPROXY_BINARY_PATH"]).read_text().startswith("#!/bin/sh")
    assert env["RAY_SERVE_HAPROXY_STATS_PORT"] != env["RAY_SERVE_HAPROXY_METRICS_PORT"]
    first = int(env["RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT"])
    assert int(env["RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT"]) == first + 99
    assert 19_999 < first < 32_768 - 100, "between Ray's worker ports and ephemeral ones"
    monkeypatch.setenv("RAY_SERVE_HAPROXY_BINARY_PATH", env["RAY_SERVE_HAPROXY_BINARY_PATH"])
    again = front_door_env()  # as a second Ray started by this process would
    wrapped = Path(again["RAY_SERVE_HAPROXY_BINARY_PATH"]).read_text().splitlines()[-1]
    assert "rs-haproxy-" not in wrapped, "a wrapper never wraps an earlier wrapper"
    for made in (env, again):
        remove_run_dir(made)
        assert not Path(made["RAY_SERVE_HAPROXY_BINARY_PATH"]).parent.exists()
    monkeypatch.setenv("RAYSHOP_FRONT_DOOR", "python")
    assert front_door_env() == {"RAY_SERVE_ENABLE_HA_PROXY": "0"}
    monkeypatch.setenv("RAYSHOP_FRONT_DOOR", "nginx")
    with pytest.raises(ValueError, match="haproxy, python"):
        front_door_mode()


def test_serve_is_tuned_for_less_cpu_per_request_unless_the_operator_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "RAY_SERVE_HAPROXY_NBTHREAD",
        "RAY_SERVE_CONTROL_LOOP_INTERVAL_S",
        "RAY_SERVE_METRICS_EXPORT_INTERVAL_MS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAY_SERVE_HAPROXY_METRICS_ENABLED", "1")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    env = front_door_env("haproxy")
    remove_run_dir(env)
    assert env["RAY_SERVE_HAPROXY_NBTHREAD"] == "2", "one HAProxy thread per core"
    assert env["RAY_SERVE_CONTROL_LOOP_INTERVAL_S"] == "0.5"
    assert env["RAY_SERVE_METRICS_EXPORT_INTERVAL_MS"] == "1000"
    assert env["RAY_SERVE_HAPROXY_METRICS_ENABLED"] == "1", "the operator's choice"
    monkeypatch.delenv("RAY_SERVE_HAPROXY_METRICS_ENABLED")
    monkeypatch.setattr(os, "cpu_count", lambda: 32)
    env = front_door_env("haproxy")
    remove_run_dir(env)
    assert env["RAY_SERVE_HAPROXY_NBTHREAD"] == "4", "never more than Serve's own default"
    assert env["RAY_SERVE_HAPROXY_METRICS_ENABLED"] == "0"
