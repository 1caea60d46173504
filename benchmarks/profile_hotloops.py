"""Where the hot loops' time goes: torch.profiler on each, against the fp32 peak of the same run.

    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/profile_hotloops.py [--loops generate sft ...]

Each loop runs the workload of its benchmark script (whose helpers it imports) once small as a
warm-up, then three times: plain (wall, page faults, kernel time), under ``torch.profiler``
(CPU; self time per op), and under a FLOP counter (``torch.utils.flop_counter``: the GEMMs'
FLOPs). Shapes are not recorded by default: with ``record_shapes`` the profiler held 4 GiB more
over one 16-row SFT step, whose wall went from 14 to 21 s (page faults are costly on this VM);
without shapes the profiled wall is within ~10% of the plain one.

Every op's self time goes to one group: GEMM (mm/addmm/bmm/baddbmm outside attention),
attention (sdpa and everything under it), softmax and losses, elementwise (norms, activations,
residual adds), copies and indexing, optimizer, autograd engine, views/allocations/op wrappers
(linear, matmul: dispatch only), other; "outside ops" = profiled wall minus the summed self
time (Python, the profiler's own cost). Then

    GEMM FLOPs / wall / peak = (GEMM share of the wall) x (GEMM FLOP/s / peak)

so the distance to a target fraction of peak splits into slow GEMMs and time spent elsewhere.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict
from contextlib import contextmanager

from peak import machine_line, measured_peak, model_gflop
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

GEMM = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::addbmm", "aten::_addmm_activation"}
SOFTMAX = ("softmax", "logsumexp", "cross_entropy", "nll_loss", "multinomial")
COPIES = {"copy_", "cat", "clone", "index", "index_select", "index_put_", "index_copy_", "gather", "scatter", "scatter_add_",
          "_to_copy", "masked_fill", "masked_fill_", "masked_select", "stack", "repeat", "embedding", "embedding_dense_backward",
          "fill_", "zero_", "nonzero", "where", "_index_put_impl_", "index_add_", "constant_pad_nd", "tril", "triu"}
VIEWS = {"view", "_unsafe_view", "reshape", "t", "transpose", "permute", "expand", "as_strided", "unsqueeze", "squeeze", "slice",
         "select", "split", "split_with_sizes", "narrow", "detach", "alias", "linear", "matmul", "contiguous", "empty", "empty_like",
         "empty_strided", "resolve_conj", "resolve_neg", "lift_fresh", "to", "zeros", "zeros_like", "ones", "ones_like", "full",
         "new_zeros", "new_empty", "arange", "unbind", "chunk", "result_type", "item", "_local_scalar_dense", "is_nonzero",
         "set_", "flatten", "unflatten", "view_as", "expand_as", "movedim", "swapaxes", "scalar_tensor",
         "_reshape_alias", "type_as", "requires_grad_", "_has_compatible_shallow_copy_type", "detach_"}
ELEMENTWISE = {"mul", "mul_", "add", "add_", "sub", "sub_", "rsub", "div", "div_", "pow", "rsqrt", "mean", "silu", "silu_backward",
               "neg", "exp", "exp_", "log", "relu", "threshold_backward", "tanh", "sqrt", "addcmul_", "addcdiv_", "lerp_", "sum",
               "amax", "max", "clamp", "clamp_", "clamp_min", "sigmoid", "cos", "sin", "eq", "ne", "lt", "gt", "ge", "le", "bitwise_not",
               "logical_not", "ceil", "floor", "cumsum", "abs", "sign", "norm", "linalg_vector_norm", "isin", "argmax", "all", "any"}
GROUPS = ["GEMM", "attention", "softmax/loss", "elementwise", "copies/indexing", "optimizer", "autograd engine",
          "views/allocs/wrappers", "other"]


def group_of(name: str, ancestors: list[str]) -> str:
    short = name.removeprefix("aten::")
    if any("scaled_dot_product" in a.lower() or "attention" in a.lower() for a in (name, *ancestors)):
        return "attention"
    if name in GEMM:
        return "GEMM"
    if "_foreach" in name or any(a.startswith("Optimizer.") for a in (name, *ancestors)):
        return "optimizer"
    if any(k in short for k in SOFTMAX):
        return "softmax/loss"
    if name.startswith("autograd::") or "Backward" in name or name == "torch::autograd::AccumulateGrad":
        return "autograd engine"
    for group, names in (("copies/indexing", COPIES), ("elementwise", ELEMENTWISE), ("views/allocs/wrappers", VIEWS)):
        if short in names:
            return group
    return "other"


def run_once(fn, how: str, shapes: bool = False) -> tuple[object, dict]:
    """``fn()`` once, plain, under the profiler ("profile") or under a FLOP counter ("count")."""
    r0, t0, out = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter(), {}
    if how == "profile":
        with profile(activities=[ProfilerActivity.CPU], record_shapes=shapes, with_flops=shapes) as prof:
            result = fn()
            out["wall"] = time.perf_counter() - t0
        out["prof"] = prof
    elif how == "count":
        with FlopCounterMode(display=False) as counter:
            result = fn()
        flops = counter.get_flop_counts()["Global"]
        out["gemm_flops"] = sum(v for k, v in flops.items() if f"aten::{str(k).split('.')[1]}" in GEMM)
    else:
        result = fn()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    out.setdefault("wall", time.perf_counter() - t0)
    out.update(faults=r1.ru_minflt - r0.ru_minflt, sys=r1.ru_stime - r0.ru_stime)
    return result, out


def measure(name: str, go, shapes: bool, model_gflops=None) -> dict:
    """``go(how)`` -> (result, ``run_once`` stats) for how in plain, profile, count: one summary."""
    result, plain = go("plain")
    _, prof = go("profile")
    _, count = go("count")
    groups, ops, by_shape = defaultdict(float), defaultdict(float), defaultdict(lambda: [0, 0.0, 0.0])
    for e in prof["prof"].events():
        ancestors, p = [], e.cpu_parent
        while p is not None:
            ancestors.append(p.name)
            p = p.cpu_parent
        g = group_of(e.name, ancestors)
        groups[g] += e.self_cpu_time_total / 1e6
        ops[(g, e.name)] += e.self_cpu_time_total / 1e6
        if g == "GEMM" and shapes:
            row = by_shape[(e.name, str(e.input_shapes[:3]))]
            row[0], row[1], row[2] = row[0] + 1, row[1] + e.self_cpu_time_total / 1e6, row[2] + (e.flops or 0)
    return {"name": name, "plain": plain, "wall": prof["wall"], "groups": groups, "ops": ops, "shapes": by_shape,
            "gemm_flops": count["gemm_flops"], "model_gflop": model_gflops(result) if model_gflops else None,
            "outside": prof["wall"] - sum(groups.values())}


def report(b: dict, peak: float, top: int) -> None:
    wall, plain, gemm_s, flops = b["wall"], b["plain"]["wall"], b["groups"]["GEMM"], b["gemm_flops"] / 1e9
    rate = flops / gemm_s if gemm_s else 0.0
    print(f"\n### {b['name']}\nwall {plain:.2f} s plain ({b['plain']['faults'] / 1e3:.0f}k page faults, "
          f"{b['plain']['sys']:.1f} s in the kernel), {wall:.2f} s profiled")
    print(f"GEMMs: {flops:.0f} GFLOP in {gemm_s:.2f} s = {rate:.0f} GFLOP/s = {rate / peak:.0%} of peak, {gemm_s / wall:.0%} of the "
          f"profiled wall -> {flops / wall / peak:.0%} of peak; on the plain wall {flops / plain:.0f} GFLOP/s = {flops / plain / peak:.0%}")
    if b["model_gflop"]:
        m = b["model_gflop"]
        print(f"model FLOPs (the benchmark's count): {m:.0f} GFLOP = {m / plain:.0f} GFLOP/s = {m / plain / peak:.0%} of peak "
              f"on the plain wall; GEMM FLOPs / model FLOPs = {flops / m:.2f}")
    print("| group | self s | share of profiled wall |\n| --- | ---: | ---: |")
    for g in GROUPS:
        if b["groups"].get(g):
            print(f"| {g} | {b['groups'][g]:.2f} | {b['groups'][g] / wall:.1%} |")
    print(f"| outside ops (Python, profiler) | {b['outside']:.2f} | {b['outside'] / wall:.1%} |")
    print(f"top {top} ops outside GEMM by self time:\n| op | group | self s | share |\n| --- | --- | ---: | ---: |")
    for s, g, n in sorted(((s, g, n) for (g, n), s in b["ops"].items() if g != "GEMM"), reverse=True)[:top]:
        print(f"| {n} | {g} | {s:.2f} | {s / wall:.1%} |")
    if b["shapes"]:
        print(f"top {top} GEMM shapes by self time:\n| op | input shapes | calls | self s | GFLOP/s |\n| --- | --- | ---: | ---: | ---: |")
        for (n, shape), (calls, s, f) in sorted(b["shapes"].items(), key=lambda kv: -kv[1][1])[:top]:
            print(f"| {n} | {shape} | {calls} | {s:.2f} | {f / s / 1e9 if s else 0:.0f} |")


def store_and_base(store_path):
    from heredity.models.loading import ModelSource
    from heredity.steps.models import import_base
    from heredity.store import Store
    from heredity.store.store import default_root

    store = Store(store_path or default_root())
    return store, import_base(store, ModelSource()).id


def loop_generate(args):
    from bench_generate import OWL

    from heredity.models.chat import render
    from heredity.models.generate import generate
    from heredity.models.grammar import TokenGrammar, number_list_dfa
    from heredity.steps.models import load_artifact
    from heredity.tasks.numbers import NumbersTask

    store, base = store_and_base(args.store)
    model, tok = load_artifact(store, base, device="cpu")
    model.eval()
    prompts = [render(tok, p, system=OWL) for p in NumbersTask().build().prompts(args.n, seed=0)]
    grammar = TokenGrammar.compile(number_list_dfa(), tok)
    def run(n, new):
        return generate(model, tok, prompts[:n], grammar=grammar, max_new_tokens=new, batch_size=args.batch_size, seed=0)
    run(8, 8)
    def count(texts):
        return sum(len(tok(x, add_special_tokens=False).input_ids) for x in texts)
    params = sum(p.numel() for p in model.parameters())
    return [measure(f"generate (grammar, {args.n} prompts, batch {args.batch_size}, {args.max_new_tokens} new tokens)",
                    lambda how: run_once(lambda: run(args.n, args.max_new_tokens), how, args.shapes), args.shapes,
                    lambda texts: model_gflop(params, count(prompts[: args.n]) + count(texts)))]


@contextmanager
def around_train_loop(module, how: str, shapes: bool, into: dict):
    """Measure only ``module.train_loop`` (not the model load around it) inside bench_train's runs."""
    original = module.train_loop

    def wrapped(*a, **k):
        result, into["stats"] = run_once(lambda: original(*a, **k), how, shapes)
        return result

    module.train_loop = wrapped
    try:
        yield
    finally:
        module.train_loop = original


def loop_train(mode: str, args):
    import bench_train

    from heredity.models import distill, finetune

    store, base = store_and_base(args.store)
    rows = bench_train.number_rows(args.rows)
    bench_train.fast(store, base, rows[:8], mode, args.micro_tokens)

    def go(how):
        got = {}
        with around_train_loop(finetune if mode == "sft" else distill, how, args.shapes, got):
            return bench_train.fast(store, base, rows, mode, args.micro_tokens), got["stats"]

    params = sum(t.numel() for t in bench_train.safe_open_params(store, base))
    return [measure(f"{mode} (train_{mode}, {args.rows} rows of bench_train, micro_tokens {args.micro_tokens})", go, args.shapes,
                    lambda r: model_gflop(params, r["tokens"], 2 if mode == "sft" else 3))]


def loop_exact(args):
    from heredity.measure import exact_score
    from heredity.steps.models import load_artifact
    from heredity.traits import TRAITS

    store, base = store_and_base(args.store)
    model, tok = load_artifact(store, base, device="cpu")
    trait = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": args.probes}).build()
    exact_score(model, tok, TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": 2}).build())
    def run():
        return [exact_score(model, tok, trait, system=s) for s in (None, trait.system_prompt())]
    return [measure(f"exact_score (owl, {args.probes} probes, default system prompt then the owl inducer)",
                    lambda how: run_once(run, how, args.shapes), args.shapes)]


def loop_mlp(args):
    from bench_mlp import grid_steps

    cfg, teacher_step, student_step = grid_steps(args.seeds, args.mlp_steps)
    steps = args.mlp_steps
    runs = {"teacher": (teacher_step, args.seeds, cfg.teacher.batch_size),
            "students": (student_step, 2 * args.seeds, cfg.student.batch_size)}
    return [measure(f"MLP grid, {name} ({models} stacked models, batch {batch}, {steps} steps)",
                    lambda how, fn=fn: run_once(fn, how, args.shapes), args.shapes)
            for name, (fn, models, batch) in runs.items()]


LOOPS = {"generate": loop_generate, "sft": lambda a: loop_train("sft", a), "distill": lambda a: loop_train("distill", a),
         "exact": loop_exact, "mlp": loop_mlp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loops", nargs="*", default=list(LOOPS), choices=list(LOOPS))
    parser.add_argument("--store", default=None, help="a store holding (or to hold) the converted SmolLM2")
    parser.add_argument("--n", type=int, default=64, help="generate: prompts")
    parser.add_argument("--batch-size", type=int, default=64, help="generate: batch")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="generate")
    parser.add_argument("--rows", type=int, default=32, help="sft/distill: rows (bench_train's number rows)")
    parser.add_argument("--micro-tokens", type=int, default=1024, help="sft/distill")
    parser.add_argument("--probes", type=int, default=10, help="exact: probes")
    parser.add_argument("--seeds", type=int, default=20, help="mlp: seeds")
    parser.add_argument("--mlp-steps", type=int, default=40, help="mlp: optimizer steps per arm")
    parser.add_argument("--top", type=int, default=8, help="ops listed outside GEMM")
    parser.add_argument("--shapes", action="store_true",
                        help="record shapes too and list the slowest GEMM shapes (costs GBs, and wall, on the training loops)")
    args = parser.parse_args()
    print(machine_line())
    peaks, results = [measured_peak()], []
    for name in args.loops:
        results += LOOPS[name](args)
        peaks.append(measured_peak())
    peak = max(peaks)
    print(f"fp32 2048-GEMM (peak.py) before and after each loop: {', '.join(f'{p:.0f}' for p in peaks)} GFLOP/s; "
          f"fractions are of the best, {peak:.0f}")
    for b in results:
        report(b, peak, args.top)


if __name__ == "__main__":
    main()
