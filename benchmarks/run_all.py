"""Run every benchmark, one after another (two torch processes on 2 cores slow each other 3-5x).

Each script prints its own table, naive path beside ours, with this run's measured fp32 GEMM
peak and each path's matmul rate as a fraction of it (``peak.py``); copy the tables into
BENCHMARKS.md with the machine, its CPU flags and the date.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
RUNS = [
    ["bench_precision.py", "--compile"],
    ["bench_generate.py"],
    ["bench_train.py", "--rows", "32", "--skip", "naive-bf16"],
    ["bench_measure.py"],
    ["bench_mlp.py", "--seeds", "20", "--baseline-seeds", "2"],
    ["profile_hotloops.py"],  # where each hot loop's time goes (torch.profiler), same peak
]


def main() -> int:
    failed = 0
    for args in RUNS:
        print(f"\n=== {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
