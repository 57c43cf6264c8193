"""Several Ray nodes on one machine, each mounting its own volume (a directory of one state
root), for the scale-out benchmark and tests (ARCHITECTURE §13).

Ray is told to declare a silent node dead after 3 missed health checks 1 s apart; its own
default (5 checks 3 s apart) is what production runs with (README, "Operating a cluster")."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ray
from ray.cluster_utils import Cluster

from durable import volume_resource

FAST_NODE_DEATH = {
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 1000,
    "health_check_failure_threshold": 3,
}


def volume_node(volume: str) -> dict[str, Any]:
    """What a node that mounts `volume` starts with."""
    return {"num_cpus": 1, "resources": {volume_resource(volume): 1, "state": 1}}


@contextmanager
def volume_cluster(namespace: str) -> Iterator[Cluster]:
    """A head that mounts the home volume v0, this process connected to it; add nodes with
    `cluster.add_node(**volume_node("v1"))`."""
    os.environ.pop("RAY_ADDRESS", None)  # never a running shop's Ray
    head = {**volume_node("v0"), "include_dashboard": False, "_system_config": FAST_NODE_DEATH}
    cluster = Cluster(initialize_head=True, head_node_args=head)
    try:
        ray.init(address=cluster.address, namespace=namespace, log_to_driver=False)
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
