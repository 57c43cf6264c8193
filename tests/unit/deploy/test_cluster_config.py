"""cluster.yaml is a valid Ray cluster launcher config, and puts hosts on state nodes."""

import json
import re
from pathlib import Path

import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

CLUSTER_YAML = Path(__file__).parents[3] / "cluster.yaml"


def load() -> dict:
    return yaml.safe_load(CLUSTER_YAML.read_text())


def test_the_cluster_config_passes_rays_own_offline_validation() -> None:
    validate_config(prepare_config(load()))


def test_only_the_head_offers_the_state_resource_as_an_integer() -> None:
    config = load()
    head = " ".join(config["head_start_ray_commands"])
    workers = " ".join(config["worker_start_ray_commands"])
    resources = json.loads(re.search(r"--resources='([^']+)'", head).group(1))
    assert resources == {"state": 1}
    assert "--resources" not in workers
    assert "--dashboard-host=127.0.0.1" in head


def test_every_node_starts_ray_with_serves_haproxy_mode() -> None:
    config = load()
    for commands in (config["head_start_ray_commands"], config["worker_start_ray_commands"]):
        start = next(command for command in commands if " start " in command)
        assert "RAY_SERVE_ENABLE_HA_PROXY=1" in start
