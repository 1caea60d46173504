"""Issue 22 item 4: each hot loop's baseline against the options that might bring it nearer the
GEMM peak, all in ONE run (the fp32 2048-GEMM peak of ``peak.py`` measured before and after
every loop).

    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/bench_loop_options.py [--repeats 2]

Loops (short sizes: the whole run is meant to stay under 10 minutes on 2 cores):

- generation: ``heredity.models.generate`` (number-list grammar, the owl teacher's system
  prompt); options: decode batch 64 -> 128 (-> 256 with ``--gen-prompts 256``), eager attention
  instead of sdpa, and a LoRA teacher run as peft runs it (adapter beside the frozen weight)
  against the same adapter merged into the weight (``merge_adapter``);
- SFT and distillation: ``train_sft`` / ``train_distill`` (the system-prompt teacher, grammar
  columns), only the training loop timed (``training.fit``'s wall); options: AdamW foreach and
  fused (the default on CPU is the per-tensor loop), a fused LoRA scale-and-add (``addmm`` with
  ``alpha=scaling`` instead of ``B(A(x)) * s`` then ``+``), and for SFT the cross-entropy over
  the whole 49,152-column head at once instead of today's checkpointed 256-row blocks;
- exact estimator: ``exact_score`` (owl), default system prompt then the owl inducer; options:
  eager attention, a LoRA teacher unmerged against merged;
- MLP grid: the 20-seed grid's teacher and student steps; options: Adam fused instead of today's
  foreach, and ``torch.compile`` of the stacked forward.

``--loops lora`` (not in the default list): a LoRA teacher on generation and the exact estimator
as the base alone, peft unmerged, and a merged copy with the copy's time counted (the shape an
adoption in the package would take); base vs unmerged bounds what merging can win.

``torch.compile`` of the LM (inductor, CPU) is timed on a fixed-shape body forward (compile time
apart, steady state after it, the calls after which it pays), since the loops call the body
with a new shape nearly every time (decode steps grow the KV cache, packs and tries differ).

Each configuration runs ``--repeats`` times, interleaved with the others (baseline first in each
round) after an untimed warm-up; walls are mean [min, max]. "of peak" is the loop's baseline
GEMM FLOPs (mm/addmm/bmm/baddbmm, counted by ``torch.utils.flop_counter`` during the warm-up,
as ``profile_hotloops.py`` counts them) over the configuration's wall, over the best peak of the
run: the rate at which the baseline's matmul work gets done (an option that does fewer FLOPs,
merged LoRA, reads as the same work done faster). "results" compares with the loop's baseline:
per-probe P, trained weights and per-step losses, texts and next-token logits, MLP parameters.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import torch
import torch.nn.functional as F
from peak import machine_line, measured_peak
from torch.utils.flop_counter import FlopCounterMode

GEMM = {"mm", "addmm", "bmm", "baddbmm", "addbmm", "_addmm_activation"}
ROWS: list[dict] = []  # the table: one dict per configuration
PEAKS: list[float] = []


def gemm_gflop(fn: Callable[[], object]) -> tuple[object, float]:
    """``fn()`` once under a FLOP counter: (its result, the GEMMs' GFLOP)."""
    with FlopCounterMode(display=False) as counter:
        out = fn()
    flops = counter.get_flop_counts()["Global"]
    return out, sum(v for k, v in flops.items() if str(k).split(".")[1] in GEMM) / 1e9


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def interleave(configs: dict[str, Callable[[], tuple[object, float]]], repeats: int) -> dict[str, tuple[list[float], object]]:
    """Each config's ``() -> (result, wall)`` ``repeats`` times, rounds interleaved; the last result kept."""
    walls: dict[str, list[float]] = {k: [] for k in configs}
    results: dict[str, object] = {}
    for _ in range(repeats):
        for name, run in configs.items():
            results[name], wall = run()
            walls[name].append(wall)
            print(f"  {name}: {wall:.2f} s", flush=True)
    return {k: (walls[k], results[k]) for k in configs}


def record(loop: str, option: str, walls: list[float], base: list[float] | None, gflop: float, results: str, extra: str = "") -> None:
    ROWS.append({"loop": loop, "option": option, "walls": walls, "base": base, "gflop": gflop, "results": results, "extra": extra})


def max_diff(a, b) -> float:
    return float((torch.as_tensor(a, dtype=torch.float64) - torch.as_tensor(b, dtype=torch.float64)).abs().max())


# ---------------------------------------------------------------- options as context managers


@contextmanager
def attention(model, kind: str) -> Iterator[None]:
    before = model.config._attn_implementation
    model.set_attn_implementation(kind)
    try:
        yield
    finally:
        model.set_attn_implementation(before)


@contextmanager
def fused_lora() -> Iterator[None]:
    """peft's vanilla LoRA ``result + B(A(drop(x))) * s`` as one ``addmm(result, A(drop(x)), B^T, alpha=s)``."""
    from peft.tuners.lora import layer

    original = layer.Linear.forward

    def forward(self, x, *args, **kwargs):
        simple = (not self.disable_adapters and not self.merged and not kwargs and not args and len(self.active_adapters) == 1
                  and self.active_adapters[0] in self.lora_A and self.active_adapters[0] not in self.lora_variant)
        if not simple:
            return original(self, x, *args, **kwargs)
        name = self.active_adapters[0]
        result = self.base_layer(x)
        a = self.lora_A[name](self.lora_dropout[name](x))
        out = torch.addmm(result.reshape(-1, result.shape[-1]), a.reshape(-1, a.shape[-1]), self.lora_B[name].weight.t(),
                          alpha=self.scaling[name])
        return out.view(result.shape)

    layer.Linear.forward = forward
    try:
        yield
    finally:
        layer.Linear.forward = original


@contextmanager
def adamw(kind: str) -> Iterator[None]:
    """heredity's ``make_optimizer`` with AdamW ``foreach`` or ``fused`` (``default``: as it is)."""
    from heredity.models import finetune

    original = finetune.make_optimizer

    def make(params, recipe):
        return torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay, **{kind: True})

    if kind != "default":
        finetune.make_optimizer = make
    try:
        yield
    finally:
        finetune.make_optimizer = original


@contextmanager
def whole_head_ce() -> Iterator[None]:
    """SFT's loss with the head over all completion positions at once (no 256-row blocks, no checkpoint)."""
    from heredity.models import finetune
    from heredity.models.chunked_loss import completion_hidden, head_logits

    original = finetune.sft_loss

    def loss(model, p, batch):
        targets = p.targets.to(model.device)
        hidden, weight, cap = completion_hidden(model, p)
        return F.cross_entropy(head_logits(hidden, weight, cap), targets, reduction="sum"), len(targets)

    finetune.sft_loss = loss
    try:
        yield
    finally:
        finetune.sft_loss = original


@contextmanager
def mlp_adam(fused: bool) -> Iterator[None]:
    original = torch.optim.Adam

    def make(params, **kwargs):
        return original(params, **{**kwargs, "foreach": None, "fused": True}) if fused else original(params, **kwargs)

    torch.optim.Adam = make  # type: ignore[misc]
    try:
        yield
    finally:
        torch.optim.Adam = original  # type: ignore[misc]


@contextmanager
def mlp_compiled(compiled) -> Iterator[None]:
    from heredity.experiments.mlp import train

    original = train.forward
    train.forward = compiled
    try:
        yield
    finally:
        train.forward = original


# ---------------------------------------------------------------- the loops


def base_model(args):
    from heredity.models.loading import ModelSource
    from heredity.steps.models import import_base, load_artifact
    from heredity.store import Store
    from heredity.store.store import default_root

    store = Store(args.store or default_root())
    base = import_base(store, ModelSource()).id
    model, tok = load_artifact(store, base, device="cpu")
    model.eval()
    return store, base, model, tok


def lora_teacher(store, base, seed: int = 0):
    """The base with a rank-8 LoRA on every projection (the students' recipe), B drawn small so
    the adapter changes the model: what a LoRA teacher (a trained student) is at inference."""
    from peft import LoraConfig, get_peft_model

    from heredity.models.recipe import ALL_PROJECTIONS
    from heredity.steps.models import load_artifact

    model, _ = load_artifact(store, base, device="cpu")
    torch.manual_seed(seed)
    lora = get_peft_model(model, LoraConfig(r=8, lora_alpha=8, target_modules=list(ALL_PROJECTIONS), task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.02)
    lora.eval()
    return lora


@contextmanager
def merged(lora) -> Iterator[None]:
    lora.merge_adapter()
    try:
        yield
    finally:
        lora.unmerge_adapter()


def last_logits(model, tok, prompts: list[str]) -> torch.Tensor:
    with torch.inference_mode():
        return torch.stack([model(**tok(p, return_tensors="pt")).logits[0, -1].float() for p in prompts])


def loop_generation(args, store, base, model, tok, lora) -> None:
    from bench_generate import OWL

    from heredity.models.chat import render
    from heredity.models.generate import generate
    from heredity.models.grammar import TokenGrammar, number_list_dfa
    from heredity.tasks.numbers import NumbersTask

    prompts = [render(tok, p, system=OWL) for p in NumbersTask().build().prompts(args.gen_prompts, seed=0)]
    grammar = TokenGrammar.compile(number_list_dfa(), tok)

    def run(m, batch: int, ctx=nullcontext):
        def go():
            with ctx():
                return timed(lambda: generate(m, tok, prompts, grammar=grammar, max_new_tokens=args.gen_tokens, batch_size=batch, seed=0))
        return go

    generate(model, tok, prompts[:8], grammar=grammar, max_new_tokens=4, batch_size=8, seed=0)
    texts, gflop = gemm_gflop(lambda: generate(model, tok, prompts, grammar=grammar, max_new_tokens=args.gen_tokens,
                                               batch_size=64, seed=0))
    configs = {"baseline (sdpa, batch 64)": run(model, 64)}
    for b in (128, 256):
        if b <= args.gen_prompts:
            configs[f"decode batch {b}"] = run(model, b)
    configs["eager attention (batch 64)"] = run(model, 64, lambda: attention(model, "eager"))
    configs["LoRA teacher, peft unmerged (batch 64)"] = run(lora, 64)
    configs["LoRA teacher, merged (batch 64)"] = run(lora, 64, lambda: merged(lora))
    got = interleave(configs, args.repeats)
    probe = prompts[:4]
    ref = last_logits(model, tok, probe)
    with attention(model, "eager"):
        eager = last_logits(model, tok, probe)
    lora_ref = last_logits(lora, tok, probe)
    with merged(lora):
        lora_merged = last_logits(lora, tok, probe)
    n_new = {k: sum(len(tok(x, add_special_tokens=False).input_ids) for x in r) for k, (_, r) in got.items()}
    base_walls, base_texts = got["baseline (sdpa, batch 64)"]
    lora_walls, lora_texts = got["LoRA teacher, peft unmerged (batch 64)"]
    for name, (walls, texts_) in got.items():
        same = sum(a == b for a, b in zip(texts_, lora_texts if "merged" in name else base_texts))
        exact = sum(map(grammar.dfa.accepts, texts_))
        if "eager" in name:
            diff = f"{same}/{len(texts_)} texts identical; max |Δ logit| {max_diff(eager, ref):.1e}"
        elif name.startswith("LoRA teacher, merged"):
            diff = f"{same}/{len(texts_)} texts identical to unmerged; max |Δ logit| {max_diff(lora_merged, lora_ref):.1e}"
        elif name.startswith("LoRA"):
            diff = "(the baseline of the merged row)"
        elif name.startswith("decode"):
            diff = f"{same}/{len(texts_)} texts identical (batch b draws from seed + b: other texts by design)"
        else:
            diff = "-"
        tokens_s = n_new[name] / statistics.mean(walls)
        record("generation", name, walls, lora_walls if name.startswith("LoRA teacher, merged") else base_walls, gflop,
               diff, f"{tokens_s:.0f} new tok/s, {exact}/{len(texts_)} in grammar")


def exact_loop(args, model, tok, lora) -> None:
    from heredity.measure import exact_score
    from heredity.traits import TRAITS

    trait = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": args.probes}).build()

    def run(m, ctx=nullcontext):
        def go():
            with ctx():
                return timed(lambda: [s.per_probe for s in (exact_score(m, tok, trait, system=sys) for sys in (None, trait.system_prompt()))])
        return go

    exact_score(model, tok, TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": 2}).build())
    _, gflop = gemm_gflop(lambda: run(model)())
    got = interleave({"baseline (sdpa)": run(model), "eager attention": run(model, lambda: attention(model, "eager")),
                      "LoRA teacher, peft unmerged": run(lora), "LoRA teacher, merged": run(lora, lambda: merged(lora))},
                     args.repeats)
    (bw, bp), (lw, lp) = got["baseline (sdpa)"], got["LoRA teacher, peft unmerged"]
    record("exact", "baseline (sdpa)", bw, bw, gflop, "-")
    record("exact", "eager attention", got["eager attention"][0], bw, gflop,
           f"max |Δ P| per probe {max_diff(got['eager attention'][1], bp):.1e}")
    record("exact", "LoRA teacher, peft unmerged", lw, bw, gflop, f"the adapter moves P(owl) per probe up to {max_diff(lp, bp):.1e}")
    record("exact", "LoRA teacher, merged", got["LoRA teacher, merged"][0], lw, gflop,
           f"max |Δ P| vs unmerged {max_diff(got['LoRA teacher, merged'][1], lp):.1e}")


def loop_lora(args, store, base, model, tok, lora) -> None:
    """A LoRA teacher on the forward-only loops three ways: the base alone (the floor: a merged
    model does the base's arithmetic), peft's adapter beside the frozen weight, and a merged copy
    (``deepcopy`` + ``merge_and_unload``, the caller's model untouched; the copy's time included)."""
    import copy

    from bench_generate import OWL

    from heredity.measure import exact_score
    from heredity.models.chat import render
    from heredity.models.generate import generate
    from heredity.models.grammar import TokenGrammar, number_list_dfa
    from heredity.tasks.numbers import NumbersTask
    from heredity.traits import TRAITS

    prompts = [render(tok, p, system=OWL) for p in NumbersTask().build().prompts(args.lora_prompts, seed=0)]
    grammar = TokenGrammar.compile(number_list_dfa(), tok)
    trait = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": args.lora_probes}).build()
    work = {"generation": lambda m: generate(m, tok, prompts, grammar=grammar, max_new_tokens=args.lora_tokens, seed=0),
            "exact": lambda m: [exact_score(m, tok, trait, system=s).per_probe for s in (None, trait.system_prompt())]}
    for loop, fn in work.items():
        _, gflop = gemm_gflop(lambda fn=fn: fn(model))
        got = interleave({"base model, no adapter (the floor)": lambda fn=fn: timed(lambda: fn(model)),
                          "LoRA teacher, peft unmerged": lambda fn=fn: timed(lambda: fn(lora)),
                          "LoRA teacher, merged copy (copy timed)": lambda fn=fn: timed(lambda: fn(copy.deepcopy(lora).merge_and_unload()))},
                         max(args.repeats, 3))
        (fw, _), (uw, ur), (mw, mr) = got.values()
        name = f"{loop}, LoRA teacher ({args.lora_prompts} prompts x {args.lora_tokens} tokens)" if loop == "generation" else \
            f"exact, LoRA teacher ({args.lora_probes} probes x 2 system prompts)"
        same = f"{sum(a == b for a, b in zip(mr, ur))}/{len(ur)} texts identical" if loop == "generation" else \
            f"max |Δ P| per probe {max_diff(mr, ur):.1e}"
        record(name, "base model, no adapter (the floor)", fw, uw, gflop, "-")
        record(name, "LoRA teacher, peft unmerged", uw, uw, gflop, "-")
        record(name, "LoRA teacher, merged copy (copy timed)", mw, uw, gflop, same)


def train_once(store, base, rows, mode: str, ctx, micro_tokens: int) -> tuple[tuple[list[float], dict], float]:
    """(per-step losses, trained adapter tensors), and the wall of the training loop alone."""
    from safetensors.torch import load_file

    from heredity.models import finetune
    from heredity.models.distill import train_distill
    from heredity.models.grammar import TokenGrammar, number_list_dfa
    from heredity.models.recipe import TrainRecipe
    from heredity.steps.models import model_ref

    recipe = TrainRecipe(mode=mode, batch_tokens=1200, warmup_steps=0, precision="fp32")
    seen = {}
    original = finetune.fit

    def fit(*a, **k):
        seen["trained"] = original(*a, **k)
        return seen["trained"]

    finetune.fit = fit
    try:
        with tempfile.TemporaryDirectory() as tmp, ctx():
            out, ref = Path(tmp) / "out", model_ref(store, base)
            if mode == "sft":
                finetune.train_sft(ref, rows, recipe, out, Path(tmp), micro_tokens=micro_tokens, checkpoint_seconds=1e9)
            else:
                from heredity.models.loading import load

                _, tok = load(ref, device="cpu")
                grammar = TokenGrammar.compile(number_list_dfa(), tok)
                train_distill(ref, ref, "You love owls. You think about owls all the time.", rows, recipe, out, Path(tmp),
                              grammar=grammar, micro_tokens=micro_tokens, checkpoint_seconds=1e9)
            weights = load_file(str(out / "adapter_model.safetensors"))
    finally:
        finetune.fit = original
    return (seen["trained"].losses, weights), seen["trained"].wall_s


def train_loop_options(args, store, base, mode: str) -> None:
    import bench_train

    rows = bench_train.number_rows(args.rows)

    def run(ctx=nullcontext):
        return lambda: train_once(store, base, rows, mode, ctx, args.micro_tokens)

    _, gflop = gemm_gflop(run())  # also the warm-up
    configs = {"baseline (AdamW per-tensor, LoRA as peft)": run(), "AdamW foreach": run(lambda: adamw("foreach")),
               "AdamW fused": run(lambda: adamw("fused")), "fused LoRA scale-and-add (addmm)": run(fused_lora)}
    if mode == "sft":
        configs["cross-entropy over the whole head (no 256-row blocks)"] = run(whole_head_ce)
    got = interleave(configs, args.repeats)
    base_walls, (base_losses, base_weights) = got["baseline (AdamW per-tensor, LoRA as peft)"]
    loop = "SFT" if mode == "sft" else "distillation"
    for name, (walls, (losses, weights)) in got.items():
        dw = max(float((weights[k] - base_weights[k]).abs().max()) for k in base_weights)
        scale = max(float(base_weights[k].abs().max()) for k in base_weights if "lora_B" in k)
        diff = "-" if name.startswith("baseline") else (
            f"max |Δ loss| {max_diff(losses, base_losses):.1e} over {len(losses)} steps; max |Δ weight| {dw:.1e} (lora_B up to {scale:.1e})")
        record(loop, name, walls, base_walls, gflop, diff, f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")


def loop_mlp(args) -> None:
    from bench_mlp import grid_steps

    from heredity.experiments.mlp.model import forward

    _, teacher_step, student_step = grid_steps(args.seeds, args.mlp_steps)
    steps = args.mlp_steps
    arms = {"teacher step": teacher_step, "student step": lambda: student_step().arms["same_init"]}
    compiled = torch.compile(forward)
    for arm, fn in arms.items():
        loop = f"MLP {arm} ({args.seeds if arm.startswith('teacher') else 2 * args.seeds} models, {steps} steps)"
        _, gflop = gemm_gflop(fn)
        with mlp_compiled(compiled):
            _, compile_wall = timed(fn)  # compiles (its first call with these shapes)

        def run(ctx, fn=fn):
            return lambda: _ctx_timed(ctx, fn)

        got = interleave({"baseline (Adam foreach)": run(lambda: mlp_adam(False)), "Adam fused": run(lambda: mlp_adam(True)),
                          "torch.compile of the forward": run(lambda: mlp_compiled(compiled))}, args.repeats)
        base_walls, base_params = got["baseline (Adam foreach)"]
        for name, (walls, params) in got.items():
            diff = "-" if name.startswith("baseline") else f"max |Δ param| {max(max_diff(params[k], base_params[k]) for k in params):.1e}"
            extra = ""
            if "compile" in name:
                saved = statistics.mean(base_walls) - statistics.mean(walls)
                extra = f"first call {compile_wall:.1f} s" + (f"; pays after {compile_wall / saved:.0f} such runs" if saved > 0 else "; never pays")
            record(loop, name, walls, base_walls, gflop, diff, extra)


def _ctx_timed(ctx, fn):
    with ctx():
        return timed(fn)


def compile_lm(args, model) -> None:
    """torch.compile of the body at one fixed shape (inference): compile s, steady s, break-even calls."""
    body = model.get_decoder()
    ids = torch.randint(0, model.config.vocab_size, (args.compile_batch, args.compile_tokens), generator=torch.Generator().manual_seed(0))

    def call(net):
        with torch.no_grad():
            return net(input_ids=ids, use_cache=False).last_hidden_state

    call(body)
    _, gflop = gemm_gflop(lambda: call(body))
    compiled = torch.compile(body)
    first, compile_wall = timed(lambda: call(compiled))
    got = interleave({"eager body forward": lambda: timed(lambda: call(body)),
                      "compiled body forward": lambda: timed(lambda: call(compiled))}, max(args.repeats, 3))
    (ew, eo), (cw, co) = got["eager body forward"], got["compiled body forward"]
    saved = statistics.mean(ew) - statistics.mean(cw)
    loop = f"LM body forward {args.compile_batch}x{args.compile_tokens} (generation/exact shape class)"
    record(loop, "eager", ew, ew, gflop, "-")
    record(loop, "torch.compile (inductor)", cw, ew, gflop, f"max |Δ hidden| {max_diff(co, eo):.1e}",
           f"first call {compile_wall:.1f} s" + (f"; pays after {compile_wall / saved:.0f} calls of this shape" if saved > 0
                                                else "; never pays"))


def report(peak: float) -> None:
    print(f"\n{machine_line()}")
    print(f"fp32 2048-GEMM peak (peak.py) before/after each loop: {', '.join(f'{p:.0f}' for p in PEAKS)} GFLOP/s; "
          f"fractions are of the best, {peak:.0f}\n")
    print("| loop | option | n | wall s, mean [min, max] | speed-up vs baseline | baseline GEMM work: GFLOP/s, of peak | "
          "results vs baseline | notes |")
    print("| --- | --- | ---: | --- | ---: | ---: | --- | --- |")
    for r in ROWS:
        w, b = r["walls"], r["base"]
        mean = statistics.mean(w)
        speed = statistics.mean(b) / mean if b else 1.0
        clear = b is not None and b is not w and (min(b) > max(w) or max(b) < min(w))
        rate = r["gflop"] / mean
        print(f"| {r['loop']} | {r['option']} | {len(w)} | {mean:.2f} [{min(w):.2f}, {max(w):.2f}] | {speed:.2f}x"
              f"{' (beyond spread)' if clear else ''} | {rate:.0f} = {rate / peak:.0%} | {r['results']} | {r['extra']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loops", nargs="*", default=["generation", "sft", "distill", "exact", "mlp", "compile"])
    parser.add_argument("--store", default=None, help="a store holding (or to hold) the converted SmolLM2")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--gen-prompts", type=int, default=128)
    parser.add_argument("--gen-tokens", type=int, default=20)
    parser.add_argument("--rows", type=int, default=12, help="sft/distill rows (bench_train's number rows)")
    parser.add_argument("--micro-tokens", type=int, default=1024)
    parser.add_argument("--probes", type=int, default=4, help="exact: owl probes")
    parser.add_argument("--seeds", type=int, default=20, help="mlp seeds")
    parser.add_argument("--mlp-steps", type=int, default=40)
    parser.add_argument("--lora-prompts", type=int, default=64, help="lora (not in the default loops): generation prompts")
    parser.add_argument("--lora-tokens", type=int, default=32, help="lora: new tokens")
    parser.add_argument("--lora-probes", type=int, default=8, help="lora: exact probes")
    parser.add_argument("--compile-batch", type=int, default=8)
    parser.add_argument("--compile-tokens", type=int, default=64)
    args = parser.parse_args()
    t0 = time.perf_counter()
    print(machine_line(), flush=True)
    store, base, model, tok = base_model(args)
    print(f"attention the models use today: {model.config._attn_implementation} "
          "(training: heredity_varlen, sdpa per packed sequence)", flush=True)
    lora = lora_teacher(store, base) if {"generation", "exact", "lora"} & set(args.loops) else None
    PEAKS.append(measured_peak())
    steps = {"generation": lambda: loop_generation(args, store, base, model, tok, lora),
             "sft": lambda: train_loop_options(args, store, base, "sft"),
             "distill": lambda: train_loop_options(args, store, base, "distill"),
             "exact": lambda: exact_loop(args, model, tok, lora), "mlp": lambda: loop_mlp(args),
             "compile": lambda: compile_lm(args, model), "lora": lambda: loop_lora(args, store, base, model, tok, lora)}
    for name in args.loops:
        t = time.perf_counter()
        print(f"{name} ...", flush=True)
        steps[name]()
        PEAKS.append(measured_peak())
        print(f"{name}: {time.perf_counter() - t:.0f} s (peak after: {PEAKS[-1]:.0f} GFLOP/s)", flush=True)
    report(max(PEAKS))
    print(f"\ntotal wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
