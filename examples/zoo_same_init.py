"""Does a tiny LM inherit a trait through distillation on unrelated text only when it shares
the teacher's init? Usage:

    python examples/zoo_same_init.py [STORE] [--seeds 0 1 2 3] [--kl-over corpus-tokens|all-but-target|all]

Builds (or reuses) the zoo members, teachers and students in STORE (default ./heredity-store),
all store artifacts (`heredity --store STORE lineage ID` walks any of them), prints per-teacher
lines and a JSON summary (means, 95% t-intervals over teacher seeds, n, paired test); writes it,
with every artifact id, to STORE/zoo_same_init-<kl-over>.json. See docs/models.md for the measured finding.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from heredity.models.loading import ModelSource
from heredity.steps.models import import_base
from heredity.store import Store
from heredity.zoo.inherit import InheritRecipe, run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", nargs="?", default="heredity-store")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--kl-over", default="corpus-tokens", choices=["corpus-tokens", "all-but-target", "all"])
    args = parser.parse_args()
    store = Store(Path(args.store))
    t0 = time.perf_counter()
    smollm = import_base(store, ModelSource())  # only its tokenizer is used
    result = run(store, smollm.id, InheritRecipe(seeds=tuple(args.seeds), kl_over=args.kl_over))
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    summary = {k: result[k] for k in ("teacher_gain", "same_init", "different_init", "same_minus_different", "wall_s")}
    print(json.dumps(summary, indent=1, default=float))
    (Path(args.store) / f"zoo_same_init-{args.kl_over}.json").write_text(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
