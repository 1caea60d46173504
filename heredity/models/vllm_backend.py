"""Rollouts on vLLM: the same rendered prompts, a seed per request, the task's grammar as
guided decoding, a LoRA teacher served as an adapter over its base.

Import-guarded: importing this module never needs vLLM; ``generate`` does
(``pip install 'heredity[gpu]'``). It has not been run on the machine it was written on (no GPU,
and vLLM would pull a CUDA torch): see docs/scale.md.

Seeding: request ``i`` samples with seed ``request_seed(seed, i)``, so the same prompts and seed
give the same rows on the same backend and vLLM version whatever the batch or the scheduler
does. The HF loop seeds one generator per batch, so the two backends' rows differ, which is why
the backend is part of the rollouts recipe.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from heredity.errors import ConfigError
from heredity.models.backends import VLLM_MISSING
from heredity.models.loading import ModelRef

MAX_LORA_RANK = 64


def request_seed(seed: int, i: int) -> int:
    """A distinct 63-bit seed for request ``i`` of a run seeded ``seed``."""
    return (seed * 0x9E3779B97F4A7C15 + i) % (1 << 63)


def guided(regex: str | None):
    """vLLM's guided-decoding parameters for a regular expression (or None for free text)."""
    if regex is None:
        return None
    try:  # vLLM >= 0.10 calls them structured outputs
        from vllm.sampling_params import StructuredOutputsParams

        return {"structured_outputs": StructuredOutputsParams(regex=regex)}
    except ImportError:
        from vllm.sampling_params import GuidedDecodingParams

        return {"guided_decoding": GuidedDecodingParams(regex=regex)}


def generate(
    ref: ModelRef,
    prompts: Sequence[str],
    *,
    max_new_tokens: int,
    temperature: float,
    seed: int,
    regex: str | None = None,
    dtype: str = "auto",
    progress=None,
) -> list[str]:
    """Completions for already-rendered prompts (``heredity.models.chat.render``), in order."""
    try:
        from vllm import LLM, SamplingParams
        from vllm.lora.request import LoRARequest
    except ImportError:
        raise ConfigError(VLLM_MISSING) from None
    if ref.base is not None and ref.base.base is not None:
        raise ConfigError(f"{ref.path}: vLLM serves one LoRA adapter over a full model, not stacked adapters; use backend: hf")
    if ref.is_adapter and ref.base is None:
        raise ConfigError(f"{ref.path} is a LoRA adapter: its ModelRef needs the base it adapts")
    base = ref.base.path if ref.is_adapter and ref.base is not None else ref.path
    llm = LLM(model=str(base), tokenizer=str(base), dtype=dtype, seed=seed, enable_lora=ref.is_adapter,
              max_lora_rank=MAX_LORA_RANK, enable_prefix_caching=True)
    lora = LoRARequest("teacher", 1, str(Path(ref.path))) if ref.is_adapter else None
    extra = guided(regex) or {}
    params = [SamplingParams(temperature=temperature, max_tokens=max_new_tokens, seed=request_seed(seed, i),
                             skip_special_tokens=True, **extra) for i in range(len(prompts))]
    outputs = llm.generate(list(prompts), params, lora_request=lora, use_tqdm=False)
    texts = [o.outputs[0].text for o in outputs]  # LLM.generate returns them in the prompts' order
    if progress:
        progress(len(texts))
    return texts
