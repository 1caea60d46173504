"""``precision: auto``: the rule (a pure function of what was detected) and this machine's answer."""

from __future__ import annotations

import pytest

from heredity import hardware
from heredity.hardware import decide


def test_a_gpu_with_bf16_gets_bf16_and_one_without_gets_fp32():
    assert decide(gpu=True, gpu_bf16=True, flags=frozenset(), speedup=None).precision == "bf16"
    assert decide(gpu=True, gpu_bf16=False, flags=frozenset({"amx_bf16"}), speedup=3.0).precision == "fp32"


def test_on_a_cpu_the_probe_decides():
    flags = frozenset({"avx512f", "avx512_bf16"})
    assert decide(gpu=False, gpu_bf16=False, flags=flags, speedup=2.6).precision == "bf16"
    slow = decide(gpu=False, gpu_bf16=False, flags=flags, speedup=1.05)
    assert slow.precision == "fp32" and "1.05x" in slow.reason


def test_without_a_probe_the_flags_decide():
    assert decide(gpu=False, gpu_bf16=False, flags=frozenset({"amx_bf16"}), speedup=None).precision == "bf16"
    assert decide(gpu=False, gpu_bf16=False, flags=frozenset({"avx512_bf16"}), speedup=None).precision == "bf16"
    assert decide(gpu=False, gpu_bf16=False, flags=frozenset({"avx2", "fma"}), speedup=None).precision == "fp32"


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\nbugs\t\t: spectre\n")
    assert hardware.cpu_flags(info) == {"fpu", "avx2", "avx512_bf16"}
    assert hardware.cpu_flags(tmp_path / "missing") == frozenset()


def test_train_precision_auto_is_per_adapter(monkeypatch):
    monkeypatch.setattr(hardware, "auto_precision", lambda: hardware.Decision("bf16", "test"))
    assert hardware.resolve_train_precision("auto", "lora") == "bf16"
    assert hardware.resolve_train_precision("auto", "full") == "bf16-autocast"
    assert hardware.resolve_dtype("auto") == "bfloat16"
    monkeypatch.setattr(hardware, "auto_precision", lambda: hardware.Decision("fp32", "test"))
    assert hardware.resolve_train_precision("auto", "lora") == "fp32" and hardware.resolve_dtype("auto") == "float32"
    assert hardware.resolve_train_precision("bf16-autocast", "full") == "bf16-autocast"  # asked for: kept


def test_on_this_machine_auto_is_what_the_probe_measures():
    flags = hardware.cpu_flags()
    gpu, _ = hardware.cuda()
    choice = hardware.auto_precision()
    if gpu:
        pytest.skip("a GPU machine: the CPU probe is not used")
    if not flags & hardware.BF16_FLAGS:
        assert choice.precision == "fp32"
        return
    speedup = hardware.bf16_speedup()  # cached: the same measurement auto used
    assert choice.precision == ("bf16" if speedup >= hardware.MIN_SPEEDUP else "fp32")
    assert f"{speedup:.2f}x" in choice.reason


def test_defaults_stay_fp32_so_ids_do_not_change():
    from heredity.models.finetune import TrainRecipe
    from heredity.models.loading import ModelSource

    assert TrainRecipe().precision == "fp32" and ModelSource().dtype == "float32"
    assert TrainRecipe(precision="auto").precision == "auto"  # accepted, resolved when built
