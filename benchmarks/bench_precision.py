"""bf16 vs fp32 on this machine: GEMM, SmolLM2-135M forward and forward+backward, the exact
estimator's per-probe P(owl), and torch.compile on the forward pass. One run, under the lock:

    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/bench_precision.py [--compile]

Rates are best of ``--repeats`` after a warm-up. "of peak" is the model FLOPs rate
(2 x parameters x tokens, x3 with backward) over this run's fp32 2048-GEMM rate.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from peak import machine_line, measured_peak, model_gflop

from heredity.hardware import auto_precision, matmul_gflops
from heredity.measure import exact_score
from heredity.models.loading import ModelSource
from heredity.steps.models import import_base, load_artifact
from heredity.store import Store
from heredity.store.store import default_root
from heredity.traits import TRAITS


def best(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=None)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of the fp32 forward")
    args = parser.parse_args()
    print(machine_line())
    print(f"auto precision here: {auto_precision()}")
    peak = measured_peak()

    print("\n| square GEMM n | fp32 GFLOP/s | bf16 GFLOP/s | bf16/fp32 |\n| ---: | ---: | ---: | ---: |")
    for n in (1024, 2048):
        f32, b16 = (max(matmul_gflops(dt, n=n, seconds=1.0) for _ in range(2)) for dt in (torch.float32, torch.bfloat16))
        print(f"| {n} | {f32:.0f} | {b16:.0f} | {b16 / f32:.2f}x |", flush=True)

    store = Store(args.store or default_root())
    base_id = import_base(store, ModelSource()).id
    models = {dt: load_artifact(store, base_id, dtype=dt, device="cpu") for dt in ("float32", "bfloat16")}
    params = sum(p.numel() for p in models["float32"][0].parameters())
    g = torch.Generator().manual_seed(0)
    fwd_ids = torch.randint(100, 40000, (16, 128), generator=g)
    bwd_ids = torch.randint(100, 40000, (4, 128), generator=g)

    print(f"\nSmolLM2-135M ({params / 1e6:.0f}M parameters); fp32 2048-GEMM peak this run {peak:.0f} GFLOP/s")
    print("| pass | dtype | tokens | s | tokens/s | model GFLOP/s | of fp32 peak |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for dt, (model, _) in models.items():
        model.eval()

        def forward():
            with torch.inference_mode():
                model(fwd_ids, use_cache=False)  # noqa: B023 - timed within this iteration

        def train_step():
            model.zero_grad(set_to_none=True)  # noqa: B023 - timed within this iteration
            out = model(bwd_ids, labels=bwd_ids, use_cache=False)  # noqa: B023
            out.loss.backward()

        for name, fn, ids, back in (("forward", forward, fwd_ids, False), ("forward+backward", train_step, bwd_ids, True)):
            s = best(fn, args.repeats)
            gf = model_gflop(params, ids.numel(), 3 if back else 1) / s
            print(f"| {name} | {dt} | {ids.numel()} | {s:.2f} | {ids.numel() / s:.0f} | {gf:.0f} | {gf / peak:.0%} |", flush=True)
        model.zero_grad(set_to_none=True)

    trait = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": args.probes}).build()
    print(f"\nExact estimator, owl trait, {args.probes} probes, owl inducer system prompt")
    print("| dtype | s | P(owl) | 95% CI |\n| --- | ---: | ---: | --- |")
    scores = {}
    for dt, (model, tok) in models.items():
        t0 = time.perf_counter()
        scores[dt] = exact_score(model, tok, trait, system=trait.system_prompt())
        sc = scores[dt]
        print(f"| {dt} | {time.perf_counter() - t0:.1f} | {sc.p:.4f} | [{sc.ci[0]:.4f}, {sc.ci[1]:.4f}] |", flush=True)
    a, b = np.array(scores["float32"].per_probe), np.array(scores["bfloat16"].per_probe)
    lo, hi = scores["float32"].ci
    print(f"per-probe max |bf16 - fp32| {np.abs(a - b).max():.2e} (max relative {(np.abs(a - b) / a).max():.1%}); "
          f"bf16 mean {scores['bfloat16'].p:.4f} {'inside' if lo <= scores['bfloat16'].p <= hi else 'OUTSIDE'} "
          f"the fp32 CI [{lo:.4f}, {hi:.4f}]")

    if args.compile:
        model = models["float32"][0]
        compiled = torch.compile(model)
        t0 = time.perf_counter()
        with torch.inference_mode():
            compiled(fwd_ids, use_cache=False)
        first = time.perf_counter() - t0

        def cforward():
            with torch.inference_mode():
                compiled(fwd_ids, use_cache=False)

        s = best(cforward, args.repeats)
        gf = model_gflop(params, fwd_ids.numel()) / s
        print("\n| pass | dtype | tokens | s | tokens/s | model GFLOP/s | of fp32 peak |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        print(f"| forward, torch.compile (first call {first:.0f} s) | float32 | {fwd_ids.numel()} | {s:.2f} | "
              f"{fwd_ids.numel() / s:.0f} | {gf:.0f} | {gf / peak:.0%} |", flush=True)


if __name__ == "__main__":
    main()
