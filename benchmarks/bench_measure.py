"""The exact trait estimator on the real SmolLM2-135M: the reference path and ours, one run.

    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/bench_measure.py [--probes 10] [--repeats 2]

The owl trait (30 animals x 8 surface forms, ``min_first_prob`` 1e-6, fp32) over its first
``--probes`` probes, with the model's default system prompt and with the owl inducer:

- reference: ``heredity.measure.exact_score_reference`` (each probe's whole prompt, then the
  surviving forms in padded batches of 64 over a repeated copy of the prompt's KV cache);
- ours: ``heredity.measure.exact_score`` (``heredity.measure.tree``: the prompts' shared head
  once, a token trie of the forms in one tree-masked forward per probe).

Each path runs ``--repeats`` times, alternating, after one untimed warm-up; the best time is
reported (the machine's 2 cores are shared). "max |diff|" is over per-probe values.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from peak import fraction, machine_line, measured_peak, model_gflop

from heredity.measure import exact_score, exact_score_reference
from heredity.models.loading import ModelSource
from heredity.steps.models import import_base, load_artifact
from heredity.store import Store
from heredity.store.store import default_root
from heredity.traits import TRAITS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=None)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    store = Store(args.store or default_root())
    model, tokenizer = load_artifact(store, import_base(store, ModelSource()).id, device="cpu")
    trait = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": args.probes}).build()
    warm = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": 2}).build()
    print(machine_line() + f", {args.probes} probes, best of {args.repeats}")
    peak = measured_peak()
    params = sum(p.numel() for p in model.parameters())
    seen = {"tokens": 0}

    def count(_module, args_, kwargs):  # positions the body really runs (cached ones are not re-run)
        hidden = args_[0] if args_ else kwargs["hidden_states"]
        seen["tokens"] += hidden.shape[0] * hidden.shape[1]

    model.model.layers[0].register_forward_pre_hook(count, with_kwargs=True)
    exact_score(model, tokenizer, warm)
    exact_score_reference(model, tokenizer, warm)

    print("| system prompt | reference s/probe | ours s/probe | speedup | max abs diff | max rel diff | P(owl) | "
          "reference rate (of fp32 peak) | ours rate (of fp32 peak) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, system in (("default", None), ("owl inducer", trait.system_prompt())):
        times: dict[str, list[float]] = {"ref": [], "ours": []}
        scores, tokens = {}, {}
        for _ in range(args.repeats):
            for name, fn in (("ref", exact_score_reference), ("ours", exact_score)):
                seen["tokens"] = 0
                start = time.perf_counter()
                scores[name] = fn(model, tokenizer, trait, system=system)
                times[name].append(time.perf_counter() - start)
                tokens[name] = seen["tokens"]
        rates = {k: fraction(model_gflop(params, tokens[k]) / min(times[k]), peak) for k in times}
        ref, ours = np.array(scores["ref"].per_probe), np.array(scores["ours"].per_probe)
        t_ref, t_ours = min(times["ref"]) / args.probes, min(times["ours"]) / args.probes
        diff = np.abs(ours - ref)
        print(
            f"| {label} | {t_ref:.3f} | {t_ours:.3f} | {t_ref / t_ours:.1f}x | {diff.max():.1e} | "
            f"{(diff / ref).max():.1e} | {scores['ours'].p:.4f} | {rates['ref']} | {rates['ours']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
