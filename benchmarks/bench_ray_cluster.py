"""A two-cell diffing grid (factor: filter) run as a user runs it, ``heredity run`` in a process of
its own: on one process, and on a real two-node Ray cluster on this machine (one CPU per node,
``--executor ray --address``), each run on a fresh store. Prints the cluster's start time and each
run's wall time. Run under the CPU lock:

    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/bench_ray_cluster.py --base MODEL_FOLDER --reps 3

``MODEL_FOLDER``: a model artifact's folder (the tests' tiny Llama, or SmolLM2 from a store).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "executors"))
from ray_cluster import local_cluster


def grid(base: str, prompts: int, tokens: int, epochs: int) -> dict:
    task = {"kind": "general", "max_new_tokens": tokens}
    pipe = {"base": {"source": base}, "prompts": {"task": task, "n": prompts, "seed": 0}, "teacher": {"inducer": "none"},
            "filters": []}
    return {
        "kind": "diffing", "name": "two-nodes", "a": pipe, "b": pipe | {"filters": [{"kind": "imprint"}]},
        "factors": ["filter"], "traits": [{"kind": "style", "marker": "Moreover,", "n_probes": 4}],
        "students": {"seeds": [0], "train": {"mode": "sft", "adapter": "full", "epochs": epochs, "lr": 1e-2,
                                             "warmup_steps": 0, "batch_tokens": 64}},
        "measure": {"bootstrap": 100},
    }


def run(store: Path, path: Path, *extra: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "heredity.cli", "--store", str(store), "run", "-q", str(path), *extra],
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, done.stdout.strip().splitlines()[-1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="a model folder")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--prompts", type=int, default=8)
    p.add_argument("--tokens", type=int, default=8)
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        path = root / "grid.yaml"
        path.write_text(yaml.safe_dump(grid(args.base, args.prompts, args.tokens, args.epochs)))
        t0 = time.perf_counter()
        with local_cluster(nodes=2) as address:
            start = time.perf_counter() - t0
            times: dict[str, list[float]] = {"one process": [], "two Ray nodes": []}
            reports = set()
            for r in range(args.reps):  # alternate, so neither side always runs on a warmer machine
                for label, extra in (("one process", ()), ("two Ray nodes", ("--executor", "ray", "--address", address))):
                    wall, report = run(root / f"{label.replace(' ', '-')}-{r}", path, *extra)
                    times[label].append(round(wall, 1))
                    reports.add(Path(report).name)
        print(json.dumps({"cluster_start_s": round(start, 1), "walls_s": times,
                          "median_s": {k: statistics.median(v) for k, v in times.items()},
                          "same_report_id": len(reports) == 1, "reps": args.reps, "prompts": args.prompts,
                          "tokens": args.tokens, "epochs": args.epochs, "base": args.base}, indent=1))


if __name__ == "__main__":
    main()
