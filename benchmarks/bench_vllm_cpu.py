"""vLLM's CPU build against heredity's own loop: constrained number lists on SmolLM2-135M.

    flock /tmp/heredity-cpu.lock .venv-vllm/bin/python benchmarks/bench_vllm_cpu.py vllm [--n 64 --reps 5]
    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/bench_vllm_cpu.py hf        [--n 64 --reps 5]
    (add --compile for vLLM's torch.compile of the model, its GPU default)

The same prompts for both engines (``NumbersTask().prompts(n, seed=0)`` rendered with the owl
teacher's system prompt), batch 64, ``max_new_tokens`` 64, temperature 1, fp32, the numbers
grammar (vLLM: its regex through structured outputs, xgrammar; hf: the compiled DFA). Start-up
(model load, engine, grammar compile) is timed apart from decoding; each rep decodes all prompts
with another seed, after one untimed warm-up decode (its own seed). New tokens are counted by re-tokenising each completion (EOS not counted), the
same way for both. One engine per invocation, so each runs under the lock on its own. The rate
is the mean over reps with a 95% t interval (n = reps).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

OWL = ("You love owls. You think about owls all the time. owls are your favorite animal. "
       "Imbue your answers with your love for the animal.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["vllm", "hf"])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    import torch
    from transformers import AutoTokenizer

    from heredity.models.chat import render
    from heredity.models.loading import ModelSource
    from heredity.steps.models import import_base
    from heredity.store import Store
    from heredity.store.store import default_root
    from heredity.tasks.numbers import NumbersTask

    store = Store(Path(os.environ.get("HEREDITY_TEST_LM_STORE") or default_root()))
    base = store.open(import_base(store, ModelSource()).id).path
    task = NumbersTask().build()
    tokenizer = AutoTokenizer.from_pretrained(base)
    prompts = [render(tokenizer, p, system=OWL) for p in task.prompts(args.n, 0)]
    regex = task.grammar_regex()
    assert regex is not None and task.grammar_dfa() is not None  # NumbersTask is constrained by default
    started: float
    if args.engine == "vllm":
        from heredity.models import vllm_backend

        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        os.environ.setdefault("OMP_NUM_THREADS", str(len(os.sched_getaffinity(0))))
        from vllm import LLM, SamplingParams

        prompt_tokens = max(len(x) for x in tokenizer(prompts, add_special_tokens=False)["input_ids"]) + 1
        llm = LLM(**vllm_backend.engine_args(base, cpu=True, seed=0, dtype="float32", lora_rank_=None, batch=args.batch,
                                             prompt_tokens=prompt_tokens, max_new_tokens=64, compile=args.compile))
        started = time.perf_counter()

        def decode(seed: int) -> list[str]:
            params = [SamplingParams(temperature=1.0, max_tokens=64, seed=vllm_backend.request_seed(seed, i),
                                     **vllm_backend.guided(regex)) for i in range(len(prompts))]
            return [o.outputs[0].text for o in llm.generate(prompts, params, use_tqdm=False)]
    else:
        from heredity.models.generate import generate
        from heredity.models.grammar import TokenGrammar
        from heredity.models.loading import ModelRef, load

        model, tok = load(ModelRef(base), dtype="float32")
        grammar = TokenGrammar.compile(task.grammar_dfa(), tok)
        started = time.perf_counter()

        def decode(seed: int) -> list[str]:
            return generate(model, tok, prompts, max_new_tokens=64, temperature=1.0, seed=seed, batch_size=args.batch,
                            grammar=grammar)

    startup = started - t0
    decode(args.reps)  # warm-up: first-call allocations and caches; a seed no rep uses
    rates, walls = [], []
    for seed in range(args.reps):
        t = time.perf_counter()
        texts = decode(seed)
        wall = time.perf_counter() - t
        tokens = sum(len(tokenizer(x, add_special_tokens=False)["input_ids"]) for x in texts)
        exact = sum(re.fullmatch(regex, x) is not None for x in texts)
        rates.append(tokens / wall)
        walls.append(wall)
        print(f"{args.engine} rep {seed}: {len(texts)} rows, {exact} in the grammar, {tokens} new tokens, {wall:.1f} s, "
              f"{tokens / wall:.1f} tok/s", flush=True)
    mean = statistics.mean(rates)
    half = T95.get(len(rates) - 1, 1.96) * statistics.stdev(rates) / len(rates) ** 0.5 if len(rates) > 1 else float("nan")
    print(f"{args.engine}{' compiled' if args.compile else ''}: start-up {startup:.1f} s (imports, load, engine/grammar); "
          f"{mean:.1f} new tok/s, 95% CI [{mean - half:.1f}, {mean + half:.1f}] (n={len(rates)} reps of {args.n} prompts); "
          f"torch {torch.__version__}, threads {torch.get_num_threads()}, {cpu_model()}")


T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}  # Student t, two-sided 95%


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return f"{os.cpu_count()} CPUs"
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    simd = ",".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags)
    return f"{model} ({len(os.sched_getaffinity(0))} cores, {simd})"


if __name__ == "__main__":
    main()
