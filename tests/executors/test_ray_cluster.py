"""A real two-node Ray cluster on this machine (``ray start --head`` plus a second ``ray start
--address`` with its own resources and temp folder), joined by ``heredity run FILE --executor ray
--address HEAD``: a diffing grid's two cells run on both nodes on one shared store, every
artifact is built once, and the ids and numbers are the single-process run's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ray = pytest.importorskip("ray")

from ray_cluster import local_cluster  # noqa: E402  (tests/executors is on sys.path: pytest rootdir-relative imports)

from heredity.cli import main  # noqa: E402
from heredity.store import Store  # noqa: E402

TASK = {"kind": "general", "max_new_tokens": 8}


def grid(tiny_lm, tmp_path: Path) -> Path:
    """Two cells that differ only in the filter: both need teacher A's rollouts of the same
    prompts, so the two nodes meet at that artifact's lock (one builds it, the other waits)."""
    store, tiny_id = tiny_lm
    pipe = {"base": {"source": str(store.path(tiny_id))}, "prompts": {"task": TASK, "n": 8, "seed": 0},
            "teacher": {"inducer": "none"}, "filters": []}
    experiment = {
        "kind": "diffing", "name": "two-nodes", "a": pipe, "b": pipe | {"filters": [{"kind": "imprint"}]},
        "factors": ["filter"], "traits": [{"kind": "style", "marker": "Moreover,", "n_probes": 4}],
        "students": {"seeds": [0], "train": {"mode": "sft", "adapter": "full", "epochs": 1, "lr": 1e-2,
                                             "warmup_steps": 0, "batch_tokens": 64}},
        "measure": {"bootstrap": 100},
    }
    path = tmp_path / "two-nodes.yaml"
    path.write_text(yaml.safe_dump(experiment))
    return path


def run(root: Path, path: Path, capsys, *extra: str) -> tuple[Path, str]:
    assert main(["--store", str(root), "run", "-q", str(path), *extra]) == 0
    out, err = capsys.readouterr()
    return Path(out.strip().splitlines()[-1]), err


@pytest.mark.slow  # a real 2-node Ray start (~5 s), two runs of a 2-cell grid on the tiny model; see BENCHMARKS.md
def test_a_two_node_cluster_breeds_the_grid_once_with_one_process_ids_and_numbers(tiny_lm, tmp_path, capsys):
    path = grid(tiny_lm, tmp_path)
    local_report, _ = run(tmp_path / "local", path, capsys)

    with local_cluster(nodes=2) as address:
        try:
            ray_report, err = run(tmp_path / "shared", path, capsys, "--executor", "ray", "--address", address)
        finally:
            ray.shutdown()  # the driver's connection; the cluster's processes stop with the context

    # Both nodes bred a cell: every step of the two cells ran in a worker, one per node.
    where = re.search(r"cells' steps on (\d+) Ray nodes: (.*)", err)
    assert where and where.group(1) == "2", err
    per_node = [tuple(map(int, m)) for m in re.findall(r"(\d+) steps \((\d+) built\)", where.group(2))]
    assert len(per_node) == 2 and all(built >= 1 for _, built in per_node), per_node
    # Every artifact built once: the rollouts both cells need was built by one node, a cache hit
    # on the other (4 steps per cell: rollouts, dataset, student, scores).
    assert sorted(steps for steps, _ in per_node) == [4, 4]
    assert sum(built for _, built in per_node) == 7
    # The same artifacts and the same numbers as one process.
    shared, local = Store(tmp_path / "shared"), Store(tmp_path / "local")
    assert set(shared.ids()) == set(local.ids())
    assert ray_report.name == local_report.name
    assert json.loads((ray_report / "results.json").read_text()) == json.loads((local_report / "results.json").read_text())
