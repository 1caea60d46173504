import fcntl
import os

import pytest


@pytest.fixture(scope="module", autouse=True)
def one_ray_cluster_at_a_time(tmp_path_factory):
    """Under pytest-xdist the Ray tests of two workers would start two local clusters on the same
    machine at once (ports, /tmp/ray, every core each): a lock in the workers' shared temp folder
    makes them take turns. Without xdist it is taken and released once per module."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    with open(tmp_path_factory.getbasetemp().parent / "ray.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield

