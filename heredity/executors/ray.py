"""Run a batch of independent steps on Ray: one Ray task per call (a cell, a teacher, a score),
in a worker process.

Each worker opens its own ``Runner(Store(root), quiet=True)`` on the run's store, so the store
must be a folder every worker sees (local Ray: this machine's; a cluster: a shared filesystem).
Two calls that need the same step (the student cells of two filter arms share one teacher's
rollouts) meet at the store's per-artifact ``flock``: one worker builds, the other waits and
gets a cache hit. The workers' step timings come back to the driver's runner, so the run's
"N steps, M cache hits" line counts every step. A batch of one call runs in the driver: a worker
would only add its start-up.

``heredity run FILE --executor ray [--address ADDR] [--workers N]``: without an address Ray
starts locally with N CPUs (default 2) and one CPU per cell; with one it joins that cluster
(``HOST:PORT`` of a head started with ``ray start --head``, or ``auto``), and the cells are
spread over its nodes (docs/scale.md has the recipe; tests/executors/test_ray_cluster.py runs a
real two-node cluster on one machine).
Ray is an optional extra: ``pip install heredity[cluster]``.
"""

from __future__ import annotations

import os

from heredity.errors import ConfigError
from heredity.executors.base import EXECUTORS, Executor

OBJECT_STORE_BYTES = 80 * 1024**2  # cells return manifests, not tensors: Ray's minimum is plenty


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray, which is not installed: pip install 'heredity[cluster]'") from None
    return ray


def call_in_worker(store_root: str, call, threads: int):
    """One call in a Ray worker: its own runner on the shared store. Returns (result, timings);
    each timing names the worker's pid and Ray node id, so the driver can say where steps ran.

    ``threads``: the driver's torch thread count. Ray gives a one-CPU task one thread, and a
    float32 matrix product summed by another number of threads differs in its last bits; an
    artifact's id must mean the same bytes whichever executor built it, so workers use the
    driver's count (on a cluster, set ``torch.set_num_threads`` in the driver to what a worker has).
    """
    import ray
    import torch

    from heredity.quiet import silence_third_party
    from heredity.runner import Runner
    from heredity.store import Store

    silence_third_party(verbose=False)
    torch.set_num_threads(threads)
    runner = Runner(Store(store_root), quiet=True)
    result = call(runner)
    node = ray.get_runtime_context().get_node_id()
    return result, [dict(t, worker=os.getpid(), node=node) for t in runner.timings]


@EXECUTORS.register("ray")
class Ray(Executor):
    def __init__(self, address: str | None = None, workers: int | None = None, **options):
        super().__init__(address=address, workers=workers, **options)
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers {workers}: give at least 1 worker")
        self.address, self.workers = address, workers
        self.ray = _ray()  # refuse at once, before any step runs, when Ray is missing

    def start(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        quiet = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR", configure_logging=True)
        # Workers import heredity from where the driver does (a source checkout included).
        env = {"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [_package_root(), os.environ.get("PYTHONPATH")]))}}
        if self.address:
            ray.init(address=self.address, runtime_env=env, **quiet)
        else:
            ray.init(num_cpus=self.workers or 2, object_store_memory=OBJECT_STORE_BYTES, runtime_env=env, **quiet)

    def run_all(self, runner, calls):
        if len(calls) < 2:
            return [call(runner) for call in calls]
        self.start()
        import torch

        # SPREAD: on a cluster, calls go to different nodes before any node takes a second one
        # (Ray's default packs the driver's node first); on one node it changes nothing.
        task = self.ray.remote(num_cpus=1, max_retries=0, scheduling_strategy="SPREAD")(call_in_worker)
        threads = torch.get_num_threads()
        root = os.path.abspath(runner.store.root)  # a worker's working folder is not the driver's
        results = self.ray.get([task.remote(root, call, threads) for call in calls])
        for _, timings in results:
            runner.timings += timings
        return [result for result, _ in results]


def _package_root() -> str:
    import heredity

    return os.path.dirname(os.path.dirname(os.path.abspath(heredity.__file__)))
