"""The matmul peak measured in the same run, and a rate as a fraction of it.

Every benchmark prints ``measured_peak()`` (a big square fp32 GEMM, best of a few seconds) next
to its own rate, so "fraction of peak" compares two numbers taken on the same machine, in the
same process, minutes apart. Model FLOPs: 2 x parameters x tokens per pass; a forward is one
pass, forward + backward of a fully trained model three (input and weight gradients), of a LoRA
student two (frozen weights get no weight gradient), distillation one more for the teacher's
forward. Attention's own products are left out (short sequences here).
"""

from __future__ import annotations

import torch

from heredity.hardware import cpu_flags, matmul_gflops

PEAK_N = 2048


def measured_peak(dtype=torch.float32, seconds: float = 2.0) -> float:
    """GFLOP/s of a 2048x2048 GEMM in ``dtype`` (best of two timed halves)."""
    return max(matmul_gflops(dtype, n=PEAK_N, seconds=seconds / 2) for _ in range(2))


def model_gflop(parameters: int, tokens: int, passes: float = 1) -> float:
    return 2 * parameters * tokens * passes / 1e9


def machine_line() -> str:
    flags = cpu_flags()
    shown = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags]
    return (f"torch {torch.__version__}, {torch.get_num_threads()} threads, cpu capability "
            f"{torch.backends.cpu.get_cpu_capability()}, flags: {' '.join(shown) or 'none of avx2/avx512/amx'}")


def fraction(gflops: float, peak: float) -> str:
    return f"{gflops:.0f} GFLOP/s = {gflops / peak:.0%} of {peak:.0f}"
