"""Peak RSS of a short Gemma 3 270M LoRA SFT run: the chunked LM-head loss (ours) beside the
plain ``[tokens, 262144]`` fp32 logits loss, each in its own process (ru_maxrss is per process).

    python benchmarks/bench_gemma_memory.py [--store DIR] [--rows 8] [--completion-tokens 400]

The store's Gemma import (~60 s, once) runs in a separate process first, so each training
process measures loading the stored model plus training only.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def train(store_dir: str, variant: str, rows: int, tokens: int) -> dict:
    import torch.nn.functional as F

    from heredity.models import finetune
    from heredity.models.finetune import TrainRecipe, completion_logits, train_sft
    from heredity.models.loading import ModelSource
    from heredity.steps.models import import_base
    from heredity.store import Parent, Store
    from heredity.tasks.general import prompt_pool

    if variant == "plain":  # the loss before chunking: every completion position's fp32 logits at once
        finetune.sft_loss = lambda model, p, batch: (F.cross_entropy(completion_logits(model, p).float(), p.targets.to(model.device), reduction="sum"), len(p.targets))
    store = Store(Path(store_dir))
    base = import_base(store, ModelSource(source="gemma3-270m"))
    words = ("the quick brown fox jumps over a lazy dog while it rains " * 200).split()
    data = [{"prompt": p, "completion": " ".join(words[: tokens])} for p in prompt_pool()[:rows]]
    recipe = TrainRecipe(rank=8, batch_tokens=4096, max_length=tokens + 64, warmup_steps=0)
    from heredity.steps.models import load_artifact, model_ref

    model, _ = load_artifact(store, base.id, device="cpu")  # loading alone: its peak is the floor of the training peak
    del model
    load_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    stats = {}

    def build(ctx):
        stats.update(train_sft(model_ref(store, base.id), data, recipe, ctx.out, ctx.scratch))

    store.produce("model", {"bench": variant, "t": time.time()}, [Parent(id=base.id, relation="base")], build, name=f"bench-{variant}")
    return {"variant": variant, "load_peak_rss_mib": round(load_peak), "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "wall_s": round(time.perf_counter() - t0, 1), "steps": stats.get("steps"), "train_tokens": stats.get("train_tokens"),
            "completion_tokens": stats.get("completion_tokens")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="/tmp/heredity-bench-gemma")
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--completion-tokens", type=int, default=400)
    parser.add_argument("--variant")
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(train(args.store, args.variant, args.rows, args.completion_tokens)))
        return
    importer = (f"from heredity.models.loading import ModelSource; from heredity.steps.models import import_base; from heredity.store import Store; "
                f"import_base(Store(__import__('pathlib').Path({args.store!r})), ModelSource(source='gemma3-270m'))")
    subprocess.run([sys.executable, "-c", importer], check=True)
    print("| loss | peak RSS MiB (load only) | peak RSS MiB (load + train) | wall s | steps | train tokens | completion tokens |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for variant in ("chunked", "plain"):
        out = subprocess.run([sys.executable, __file__, "--store", args.store, "--rows", str(args.rows),
                              "--completion-tokens", str(args.completion_tokens), "--variant", variant],
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        print(f"| {variant} | {r['load_peak_rss_mib']} | {r['peak_rss_mib']} | {r['wall_s']} | {r['steps']} | {r['train_tokens']} | {r['completion_tokens']} |", flush=True)


if __name__ == "__main__":
    main()
