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


def test_only_the_head_mounts_a_volume_and_offers_it_as_an_integer() -> None:
    config = load()
    head = " ".join(config["head_start_ray_commands"])
    workers = " ".join(config["worker_start_ray_commands"])
    resources = json.loads(re.search(r"--resources='([^']+)'", head).group(1))
    assert resources == {"rayshop_volume_v0": 1, "state": 1}
    assert "--resources" not in workers
    assert "--dashboard-host=127.0.0.1" in head


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
