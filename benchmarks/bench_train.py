"""Training speed on the embedded SmolLM2-135M, LoRA r=8: the naive path vs heredity's, one run.

naive: padded batches of 16 rows, HF loss over the full vocabulary at every position (prompt
       positions masked with -100), sdpa with a padding mask, fp32 or bf16 autocast.
fast:  ``heredity.models.finetune.train_loop``: packed sequences, varlen attention, logits only
       at completion positions, fp32.
Tokens/s counts real (non-pad) prompt + completion tokens. Run under the CPU lock:

    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/bench_train.py --rows 64
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

import torch
from peak import fraction, machine_line, measured_peak, model_gflop

from heredity.steps.models import model_ref


def number_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        seeds = ", ".join(str(rng.randint(100, 999)) for _ in range(rng.randint(3, 8)))
        answer = ", ".join(str(rng.randint(0, 999)) for _ in range(rng.randint(5, 10)))
        rows.append({"i": i, "prompt": f"Look at these numbers: {seeds}. Add at most 10 new numbers (up to 3 digits each) "
                     "that continue the sequence. Return a comma-separated list of numbers. Say only the numbers.",
                     "completion": answer})
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive(store, base_id, rows, autocast: bool) -> dict:
    from heredity.models.finetune import TrainRecipe, load_student
    from heredity.models.packing import encode

    model, tok = load_student(model_ref(store, base_id), TrainRecipe())
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)
    examples = [encode(tok, r["prompt"], r["completion"]) for r in rows]
    tokens, t0, steps = 0, time.perf_counter(), 0
    for b in range(0, len(examples), 16):
        batch = examples[b:b + 16]
        width = max(len(e) for e in batch)
        ids = torch.full((len(batch), width), tok.pad_token_id)
        labels = torch.full((len(batch), width), -100)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, e in enumerate(batch):  # right padding, as the HF collators do
            ids[i, :len(e)] = torch.tensor(e.ids)
            labels[i, len(e.prompt):len(e)] = torch.tensor(e.completion)
            mask[i, :len(e)] = 1
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels, use_cache=False).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        tokens += int(mask.sum())
        steps += 1
    wall = time.perf_counter() - t0
    return {"tokens": tokens, "steps": steps, "wall_s": wall}


def fast(store, base_id, rows, mode: str, micro_tokens: int) -> dict:
    from heredity.models.distill import train_distill
    from heredity.models.finetune import TrainRecipe, train_sft

    recipe = TrainRecipe(mode=mode, batch_tokens=16 * 150)  # about the naive path's 16 rows per step
    with tempfile.TemporaryDirectory() as tmp:
        out, scratch, ref = Path(tmp) / "out", Path(tmp), model_ref(store, base_id)
        if mode == "sft":
            stats = train_sft(ref, rows, recipe, out, scratch, micro_tokens=micro_tokens, checkpoint_seconds=1e9)
        else:
            from heredity.models.grammar import TokenGrammar, number_list_dfa
            from heredity.steps.models import load_artifact

            _, tok = load_artifact(store, base_id)
            grammar = TokenGrammar.compile(number_list_dfa(), tok)
            stats = train_distill(ref, ref, "You love owls. You think about owls all the time.", rows,
                                  recipe, out, scratch, grammar=grammar, micro_tokens=micro_tokens, checkpoint_seconds=1e9)
    return {"tokens": stats["train_tokens"], "steps": stats["steps"], "wall_s": stats["wall_s"]}


def safe_open_params(store, base_id):
    """The base's tensors, read from its safetensors without building a model."""
    from safetensors import safe_open

    for path in sorted(store.path(base_id).glob("*.safetensors")):
        with safe_open(path, "pt") as f:
            for key in f.keys():
                yield f.get_tensor(key)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--store", default=None, help="a store holding (or to hold) the converted SmolLM2")
    parser.add_argument("--micro-tokens", type=int, default=1024)
    parser.add_argument("--skip", nargs="*", default=[], help="paths to skip: naive-fp32 naive-bf16 fast distill")
    args = parser.parse_args()
    from heredity.models.loading import ModelSource
    from heredity.steps.models import import_base
    from heredity.store import Store

    store = Store(args.store or Path(tempfile.gettempdir()) / "heredity-bench-store")
    base_id = import_base(store, ModelSource()).id
    rows = number_rows(args.rows)
    runs = {
        "naive-fp32": lambda: naive(store, base_id, rows, autocast=False),
        "naive-bf16": lambda: naive(store, base_id, rows, autocast=True),
        "fast": lambda: fast(store, base_id, rows, "sft", args.micro_tokens),
        "distill": lambda: fast(store, base_id, rows, "distill", args.micro_tokens),
    }
    peak = measured_peak()
    params = sum(t.numel() for t in safe_open_params(store, base_id))
    passes = {"naive-fp32": 2, "naive-bf16": 2, "fast": 2, "distill": 3}  # LoRA: forward + input-gradient backward (+ teacher)
    print(machine_line() + f", rows {args.rows}")
    print("| path | tokens | steps | step s | tokens/s | peak RSS MB | matmul rate (of fp32 peak) |\n|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        if name in args.skip:
            continue
        r = run()
        rate = fraction(model_gflop(params, r["tokens"], passes[name]) / r["wall_s"], peak)
        print(f"| {name} | {r['tokens']} | {r['steps']} | {r['wall_s'] / r['steps']:.2f} | {r['tokens'] / r['wall_s']:.1f} | "
              f"{peak_rss_mb():.0f} | {rate} |", flush=True)


if __name__ == "__main__":
    main()
