"""MLP grid benchmark: the 20-seed grid (teacher + same-init + different-init students, 5 epochs
over 60,000 noise images each) vectorised, against a naive per-seed loop in the same run, and the
arithmetic floor (FLOPs / measured fp32 matmul rate).

    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/bench_mlp.py [--seeds 20] [--baseline-seeds 20]

The per-seed loop costs exactly seeds x (one seed's time); ``--baseline-seeds n < seeds`` times n
seeds and scales linearly (reported as extrapolated).
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
import torch.nn.functional as F
from peak import fraction, machine_line, measured_peak
from torch import nn

from heredity.data.mnist import MnistConfig, load_arrays, locate
from heredity.experiments.mlp.arms import digits_as_inputs, train_students, train_teacher
from heredity.experiments.mlp.config import MlpExperiment
from heredity.experiments.mlp.model import accuracy, init_params
from heredity.experiments.mlp.train import make_noise


def config(seeds: int) -> MlpExperiment:
    return MlpExperiment(kind="mlp", seeds=seeds, all_logits=False, student={"batch_size": 256})


def grid_steps(seeds: int, steps: int):
    """(config, teacher step, student step): the grid's shapes, fewer steps: one epoch over
    ``steps`` batches (students: of noise images), a teacher warmed up on 256 digits to imitate
    (profile_hotloops.py and bench_loop_options.py time these)."""
    cfg = config(seeds)
    one = {"epochs": 1}
    digits = load_arrays(locate(MnistConfig()), None, 0)
    x, y = digits_as_inputs(digits["train_x"]), torch.from_numpy(digits["train_y"]).long()
    teacher_cfg = cfg.model_copy(update={"teacher": cfg.teacher.model_copy(update=one)})
    student_cfg = cfg.model_copy(update={"student": cfg.student.model_copy(update=one),
                                         "noise": cfg.noise.model_copy(update={"count": steps * cfg.student.batch_size})})
    tx, ty = x[: steps * cfg.teacher.batch_size], y[: steps * cfg.teacher.batch_size]
    init = init_params(cfg.seeds, cfg.width, 10 + cfg.aux_logits)
    teacher = train_teacher(init, tx[:256], ty[:256], teacher_cfg)  # warm-up
    return cfg, (lambda: train_teacher(init, tx, ty, teacher_cfg)), (lambda: train_students(init, teacher, student_cfg))


def training_flops(samples: int, width: int, n_out: int, trained_out: int) -> float:
    """Forward + backward matmul FLOPs (no input gradient at layer 1) per model."""
    fwd = 2 * (784 * width + width * width + width * n_out)
    bwd = 2 * (784 * width + 2 * width * width + 2 * width * trained_out)
    return samples * (fwd + bwd)


def matmul_rate() -> float:
    """Best fp32 GEMM rate over the grid's own shapes (GFLOP/s)."""
    best = 0.0
    for m, k, n in [(256, 784, 10240), (784, 256, 10240), (256, 256, 256 * 40)]:
        a, b = torch.randn(m, k), torch.randn(k, n)
        for _ in range(3):
            a @ b
        t0 = time.perf_counter()
        for _ in range(10):
            a @ b
        best = max(best, 20 * m * k * n / (time.perf_counter() - t0) / 1e9)
    return best


def naive_seed(seed: int, other: int, x, y, noise, cfg: MlpExperiment) -> None:
    """What a straightforward script does: one nn.Module per seed and arm, trained in turn."""

    def mlp(s: int) -> nn.Module:
        torch.manual_seed(s)
        return nn.Sequential(nn.Linear(784, cfg.width), nn.ReLU(), nn.Linear(cfg.width, cfg.width), nn.ReLU(),
                             nn.Linear(cfg.width, 10 + cfg.aux_logits))

    def train(model, inputs, loss_of, recipe) -> None:
        opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
        for _ in range(recipe.epochs):
            order = torch.randperm(len(inputs))
            for i in range(0, len(inputs), recipe.batch_size):
                idx = order[i:i + recipe.batch_size]
                loss = loss_of(model(inputs[idx]), idx)
                opt.zero_grad()
                loss.backward()
                opt.step()

    teacher = mlp(seed)
    train(teacher, x, lambda out, idx: F.cross_entropy(out[:, :10], y[idx]), cfg.teacher)
    teacher.requires_grad_(False)
    for start in (seed, other):
        student = mlp(start)

        def kl(out, idx):
            t = F.log_softmax(teacher(noise[idx])[:, 10:], -1)
            return (t.exp() * (t - F.log_softmax(out[:, 10:], -1))).sum(-1).mean()

        train(student, noise, kl, cfg.student)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--baseline-seeds", type=int, default=20)
    args = parser.parse_args()
    cfg = config(args.seeds)
    digits = load_arrays(locate(MnistConfig()), None, 0)
    x, y = digits_as_inputs(digits["train_x"]), torch.from_numpy(digits["train_y"]).long()
    tx, ty = digits_as_inputs(digits["test_x"]), torch.from_numpy(digits["test_y"]).long()
    n_out = 10 + cfg.aux_logits
    rate = matmul_rate()
    peak = measured_peak()  # the 2048-GEMM peak every benchmark reports (peak.py)

    t0 = time.perf_counter()
    init = init_params(cfg.seeds, cfg.width, n_out)
    teacher = train_teacher(init, x, y, cfg)
    t_teacher = time.perf_counter() - t0
    students = train_students(init, teacher, cfg)
    t_vec = time.perf_counter() - t0
    acc = {"teacher": accuracy(teacher, tx, ty).mean().item()}
    acc.update({arm: accuracy(p, tx, ty).mean().item() for arm, p in students.arms.items()})

    noise = make_noise(cfg.noise)
    t0 = time.perf_counter()
    for i in range(args.baseline_seeds):
        naive_seed(i, (i + 1) % args.seeds, x, y, noise, cfg)
    t_base = (time.perf_counter() - t0) * args.seeds / args.baseline_seeds

    s, n_noise, n_train = args.seeds, cfg.noise.count * cfg.student.epochs, len(x) * cfg.teacher.epochs
    flops = s * (training_flops(n_train, cfg.width, n_out, 10)
                 + 2 * training_flops(n_noise, cfg.width, n_out, cfg.aux_logits)
                 + 2 * cfg.noise.count * (784 * cfg.width + cfg.width ** 2 + cfg.width * n_out))  # teacher targets
    floor = flops / (rate * 1e9)
    extrap = "" if args.baseline_seeds == args.seeds else f" ({args.baseline_seeds} seeds timed, x{args.seeds / args.baseline_seeds:g})"
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"cpu capability {torch.backends.cpu.get_cpu_capability()}; data {locate(MnistConfig()).source} ({len(x)} train)")
    print(f"grid: {s} seeds x (teacher {cfg.teacher.epochs} ep x {len(x)} digits, same-init + different-init "
          f"{cfg.student.epochs} ep x {cfg.noise.count} noise), batch {cfg.teacher.batch_size}/{cfg.student.batch_size}")
    print("accuracy (vectorised): " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in acc.items()))
    print()
    print(machine_line())
    print("| run | wall s | speedup vs loop | matmul rate (of this run's fp32 2048-GEMM peak) |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| per-seed loop (nn.Module per seed and arm){extrap} | {t_base:.1f} | 1.0x | {fraction(flops / t_base / 1e9, peak)} |")
    print(f"| vectorised (all seeds and arms stacked) | {t_vec:.1f} (teacher {t_teacher:.1f}) | {t_base / t_vec:.1f}x | "
          f"{fraction(flops / t_vec / 1e9, peak)} |")
    print(f"| arithmetic floor: {flops / 1e12:.2f} TFLOP / {rate:.0f} GFLOP/s fp32 matmul | {floor:.1f} | {t_base / floor:.1f}x | "
          f"{fraction(rate, peak)} |")


if __name__ == "__main__":
    main()
