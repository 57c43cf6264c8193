"""One Ray cluster of several nodes per module (`bench.cluster`): a head mounting the home
volume v0; modules add the nodes they need."""

from collections.abc import Iterator

import pytest
from ray.cluster_utils import Cluster

from bench.cluster import volume_cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with volume_cluster("rayshop-cluster-tests") as cluster:
        yield cluster
