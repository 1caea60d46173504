"""What this machine does fast: CPU flags, CUDA, and a one-second bf16-vs-fp32 matmul probe.

``precision: auto`` (training) and ``dtype: auto`` (rollouts, models) are resolved here when a
step is built, and the resolved value is recorded in the artifact's summary. The rule:

- a CUDA GPU: bf16 when it supports bf16 (Ampere and later), else fp32;
- a CPU: bf16 when the probe measures bf16 matmul at least ``MIN_SPEEDUP`` times fp32's rate
  (AVX-512-BF16 or AMX machines), fp32 otherwise (AVX2 machines, where bf16 is emulated and was
  measured ~20x slower). Without a probe result the flags decide.

Defaults stay fp32 everywhere, so artifact ids do not change: ``auto`` is asked for, not assumed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
MIN_SPEEDUP = 1.2  # bf16 must beat fp32 clearly: rounding to bf16 has a cost in accuracy
Precision = Literal["bf16", "fp32"]


@dataclass(frozen=True)
class Decision:
    precision: Precision
    reason: str


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo is missing: macOS, Windows)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags") and ":" in line:
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cuda() -> tuple[bool, bool]:
    """(a CUDA GPU is present, it supports bf16)."""
    import torch

    if not torch.cuda.is_available():
        return False, False
    return True, bool(torch.cuda.is_bf16_supported())


def matmul_gflops(dtype, n: int = 1024, seconds: float = 0.5) -> float:
    """Square ``n``×``n`` matmuls in ``dtype`` on the CPU for about ``seconds``: GFLOP/s."""
    import torch

    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    torch.mm(a, b)  # warm-up: kernels chosen, pages touched
    done, t0 = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        torch.mm(a, b)
        done += 1
    return 2 * n**3 * done / elapsed / 1e9


@lru_cache(maxsize=1)
def bf16_speedup() -> float:
    """bf16 matmul rate / fp32 matmul rate on this CPU: about one second, once per process."""
    import torch

    return matmul_gflops(torch.bfloat16) / matmul_gflops(torch.float32)


def decide(*, gpu: bool, gpu_bf16: bool, flags: frozenset[str], speedup: float | None) -> Decision:
    """The precision ``auto`` means, from what was detected (a pure function)."""
    if gpu:
        return Decision("bf16", "CUDA GPU with bf16") if gpu_bf16 else Decision("fp32", "CUDA GPU without bf16")
    if speedup is not None:
        verdict: Precision = "bf16" if speedup >= MIN_SPEEDUP else "fp32"
        return Decision(verdict, f"CPU probe: bf16 matmul {speedup:.2f}x fp32 (bf16 needs >= {MIN_SPEEDUP}x)")
    found = sorted(flags & BF16_FLAGS)
    return Decision("bf16", f"CPU flags {', '.join(found)}") if found else Decision("fp32", "CPU without avx512_bf16/amx_bf16")


@lru_cache(maxsize=1)
def auto_precision() -> Decision:
    """``decide`` on this machine. The CPU probe runs only on a CPU that has a bf16 flag (an
    AVX2 machine is fp32 without spending a second)."""
    gpu, gpu_bf16 = cuda()
    flags = cpu_flags()
    speedup = bf16_speedup() if not gpu and flags & BF16_FLAGS else None
    return decide(gpu=gpu, gpu_bf16=gpu_bf16, flags=flags, speedup=speedup)


def resolve_dtype(dtype: str) -> str:
    """A torch dtype name for a recipe's ``dtype``: ``auto`` becomes bfloat16 or float32."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if auto_precision().precision == "bf16" else "float32"


def resolve_train_precision(precision: str, adapter: str) -> str:
    """A ``TrainRecipe.precision`` for ``auto``: bf16 base weights for LoRA (its adapters stay
    fp32), bf16 autocast for full fine-tuning, fp32 where bf16 is not fast."""
    if precision != "auto":
        return precision
    if auto_precision().precision == "fp32":
        return "fp32"
    return "bf16" if adapter == "lora" else "bf16-autocast"
