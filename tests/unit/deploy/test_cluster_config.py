"""cluster.yaml is a valid Ray cluster launcher config, puts hosts on state nodes and starts
every node's Ray with the shop's front door (`rayshop front-door-env`)."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

from serve_app.cli import main
from serve_app.front_door import remove_run_dir

CLUSTER_YAML = Path(__file__).parents[3] / "cluster.yaml"


def load() -> dict:
    return yaml.safe_load(CLUSTER_YAML.read_text())


def test_the_cluster_config_passes_rays_own_offline_validation() -> None:
    validate_config(prepare_config(load()))


def advertised(command: str, volume: str) -> str:
    """What the worker start command passes to `ray start` on a node mounting `volume`."""
    argument = re.search(r"(\$\{VOLUME:\+.*\})", command).group(1)
    script = f'VOLUME={volume}; printf "%s" {argument}'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout


def test_state_nodes_advertise_the_volume_they_mount_as_integers_and_the_head_none() -> None:
    config = load()
    head = " ".join(config["head_start_ray_commands"])
    worker = " ".join(config["worker_start_ray_commands"])
    assert "--resources" not in head
    assert "--dashboard-host=127.0.0.1" in head
    flag = advertised(worker, "v1")
    assert flag.startswith("--resources=")
    assert json.loads(flag.removeprefix("--resources=")) == {"rayshop_volume_v1": 1, "state": 1}
    assert advertised(worker, "") == ""  # a stateless node


def test_every_node_starts_ray_with_serves_haproxy_mode() -> None:
    config = load()
    for commands in (config["head_start_ray_commands"], config["worker_start_ray_commands"]):
        start = next(command for command in commands if " start " in command)
        assert start.startswith('eval "$(~/rayshop-venv/bin/rayshop front-door-env)" && ')


def test_front_door_env_prints_what_a_nodes_ray_start_needs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["front-door-env"]) == 0
    printed = capsys.readouterr().out
    exported = subprocess.run(
        ["sh", "-c", f"{printed}\nenv"], capture_output=True, text=True, check=True
    ).stdout
    env = dict(line.split("=", 1) for line in exported.splitlines() if "=" in line)
    try:
        assert env["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
        assert env["RAY_SERVE_THROUGHPUT_OPTIMIZED"] == "1"
        assert env["RAY_SERVE_HAPROXY_RETRY_ON"] == "conn-failure empty-response"
        wrapper = Path(env["RAY_SERVE_HAPROXY_BINARY_PATH"])
        assert wrapper.read_text().startswith("#!/bin/sh") and os.access(wrapper, os.X_OK)
    finally:
        remove_run_dir(env)
