"""Students: the training recipe, SFT on sampled completions, and the shared training loop.

Why a plain peft + torch loop and not TRL's ``SFTTrainer``: the loop is ~80 lines of standard
parts (peft LoRA, torch AdamW, linear warm-up schedule, clipped gradients), and owning it gives
what SFTTrainer does not on this CPU: exact packing through varlen attention (transformers'
position-id packing with sdpa builds an ``[L, L]`` mask; see ``varlen.py``), logits only at
completion positions (the 49k-word head is a fifth of the model), a resumable checkpoint in the
store's scratch folder with bit-identical resumes, and one loop shared with logit distillation.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from peft import PeftModel
from pydantic import Field, field_validator

from heredity.config import Strict
from heredity.models import checkpoint
from heredity.models.loading import ModelRef, load
from heredity.models.packing import Example, Pack, encode, micro_batches, pack, plan_steps
from heredity.models.varlen import varlen

ALL_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainRecipe(Strict):
    """How a student is trained. Every field changes the result, so all of them are hashed."""

    mode: str = Field("sft", description="the student kind (heredity.students): sft (cross-entropy on sampled completions), "
                      "distill (KL to the teacher's next-token distribution), or a registered plug-in")
    adapter: Literal["lora", "full"] = Field("lora", description="train LoRA adapters (peft) or every weight")
    rank: int = Field(8, ge=1, description="LoRA rank")
    alpha: float = Field(8.0, gt=0, description="LoRA alpha (scale = alpha / rank)")
    dropout: float = Field(0.0, ge=0, lt=1, description="LoRA dropout")
    targets: tuple[str, ...] = Field(ALL_PROJECTIONS, description="module names LoRA adapts (default: all attention and MLP projections)")
    optimizer: Literal["adamw", "sgd"] = Field("adamw", description="adaptive (AdamW) or plain SGD")
    weight_decay: float = Field(0.0, ge=0, description="AdamW decoupled weight decay")
    epochs: int = Field(1, ge=1, description="passes over the rows")
    lr: float = Field(2e-4, gt=0, description="peak learning rate")
    warmup_steps: int = Field(5, ge=0, description="linear warm-up steps from 0 to lr")
    schedule: Literal["linear", "constant"] = Field("linear", description="after warm-up: linear decay to 0, or constant")
    max_grad_norm: float | None = Field(1.0, description="clip the gradient norm (None: no clipping)")
    batch_tokens: int = Field(4096, ge=1, description="tokens (prompt + completion, packed, no padding) per optimizer step")
    max_length: int = Field(500, ge=2, description="longest sequence; completions are cut to fit")
    rows: int | None = Field(None, ge=1, description="train on the first N rows (None: all)")
    seed: int = Field(0, description="seeds the adapter init and the data order")
    precision: Literal["fp32", "bf16-autocast", "bf16", "auto"] = Field(
        "fp32", description="fp32; bf16 autocast; or bf16 base weights with fp32 LoRA weights (LoRA only). "
        "bf16 is for AVX512-BF16/AMX CPUs and GPUs: on an AVX2-only CPU it was measured ~20x slower than fp32. "
        "auto: bf16 (LoRA) or bf16-autocast (full) where this machine does bf16 fast, else fp32 "
        "(heredity.hardware; resolved when the student is built and recorded in its summary)")


    @field_validator("mode")
    @classmethod
    def _registered_kind(cls, mode: str) -> str:
        from heredity.students import STUDENT_KINDS

        return STUDENT_KINDS.require(mode)


Progress = Callable[..., None]
# loss of one pack: (model, pack) -> (sum of per-position losses, number of positions)
PackLoss = Callable[[Any, Pack, list[Example]], tuple[torch.Tensor, int]]


def load_student(base: ModelRef, recipe: TrainRecipe):
    """(model, tokenizer): the base with fresh LoRA adapters (seeded), or fully trainable."""
    if recipe.precision == "bf16" and recipe.adapter == "full":
        raise ValueError("precision bf16 keeps fp32 weights only for LoRA adapters; use fp32 or bf16-autocast for full fine-tuning")
    model, tokenizer = load(base, dtype="bfloat16" if recipe.precision == "bf16" else None, trainable=True)
    if isinstance(model, PeftModel):  # a student of an adapter model: fold that adapter in first
        model = model.merge_and_unload()
    torch.manual_seed(recipe.seed)
    if recipe.adapter == "lora":
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(r=recipe.rank, lora_alpha=recipe.alpha, lora_dropout=recipe.dropout,
                            target_modules=list(recipe.targets), task_type="CAUSAL_LM")
        model = get_peft_model(model, config)
    model.config.use_cache = False
    return model, tokenizer


def resolved(recipe: TrainRecipe) -> TrainRecipe:
    """The recipe with ``precision: auto`` replaced by what this machine does fast."""
    if recipe.precision != "auto":
        return recipe
    from heredity.hardware import resolve_train_precision

    return recipe.model_copy(update={"precision": resolve_train_precision(recipe.precision, recipe.adapter)})


def lr_at(step: int, total: int, recipe: TrainRecipe) -> float:
    """The transformers linear schedule with warm-up, as a pure function of the step."""
    if step < recipe.warmup_steps:
        return recipe.lr * step / recipe.warmup_steps
    if recipe.schedule == "constant":
        return recipe.lr
    return recipe.lr * max(0.0, (total - step) / max(1, total - recipe.warmup_steps))


def make_optimizer(params, recipe: TrainRecipe):
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    return torch.optim.SGD(params, lr=recipe.lr)


def fingerprint(recipe: TrainRecipe, examples: Sequence[Example], *extra: Any) -> str:
    """Identifies a run, so a checkpoint is only resumed by the run that wrote it."""
    h = hashlib.sha256(recipe.model_dump_json().encode())
    for ex in examples:
        h.update(json.dumps([ex.prompt, ex.completion]).encode())
    h.update(json.dumps(extra, default=str).encode())
    return h.hexdigest()[:16]


def train_loop(model, examples: list[Example], recipe: TrainRecipe, scratch, pack_loss: PackLoss, *,
               progress: Progress | None = None, checkpoint_every: int = 0, checkpoint_seconds: float = 120.0,
               micro_tokens: int = 1024, run_id: str = "") -> dict[str, Any]:
    """Optimise ``pack_loss`` (summed over completion positions, averaged per step) over the
    seeded step plan; checkpoint every ``checkpoint_every`` steps or ``checkpoint_seconds``."""
    lengths = [len(ex) for ex in examples]
    steps = plan_steps(lengths, epochs=recipe.epochs, batch_tokens=recipe.batch_tokens, seed=recipe.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(params, recipe)
    print_id = fingerprint(recipe, examples, micro_tokens, run_id)
    start = checkpoint.restore(scratch, model, optimizer, print_id)
    model.train()
    autocast = torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=recipe.precision == "bf16-autocast")
    losses: list[float] = []
    tokens = positions_done = 0
    t0 = last_save = time.perf_counter()
    with varlen(model):
        for step in range(start, len(steps)):
            positions = sum(len(examples[i].completion) for i in steps[step])
            step_loss = 0.0
            for micro in micro_batches(steps[step], lengths, micro_tokens):
                batch = [examples[i] for i in micro]
                with autocast:
                    total, _ = pack_loss(model, pack(batch), batch)
                (total / positions).backward()
                step_loss += float(total.detach())
                tokens += sum(lengths[i] for i in micro)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, len(steps), recipe)
            if recipe.max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(params, recipe.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(step_loss / positions)
            positions_done += positions
            now = time.perf_counter()
            if step + 1 < len(steps) and ((checkpoint_every and (step + 1) % checkpoint_every == 0) or now - last_save > checkpoint_seconds):
                checkpoint.save(scratch, model, optimizer, step + 1, print_id)
                last_save = time.perf_counter()
            if progress is not None:
                progress(1)
    wall = time.perf_counter() - t0
    model.eval()
    k = max(1, math.ceil(len(losses) / 10))
    return {
        "steps": len(steps), "resumed_at_step": start, "rows": len(examples), "train_tokens": tokens,
        "completion_tokens": positions_done, "wall_s": round(wall, 2),
        "tokens_per_s": round(tokens / wall, 1) if wall > 0 else None,
        "loss_first": round(sum(losses[:k]) / len(losses[:k]), 5) if losses else None,
        "loss_last": round(sum(losses[-k:]) / len(losses[-k:]), 5) if losses else None,
    }


def completion_logits(model, p: Pack, **kwargs) -> torch.Tensor:
    """Logits ``[N, V]`` at the positions that predict completion tokens, and only there."""
    device = model.device
    out = model(input_ids=p.input_ids.to(device), position_ids=p.position_ids.to(device),
                logits_to_keep=p.keep.to(device), segments=[len(s) for s in _segments(p)], use_cache=False, **kwargs)
    return out.logits.reshape(-1, out.logits.shape[-1])


def _segments(p: Pack) -> list[range]:
    starts = (p.position_ids[0] == 0).nonzero().flatten().tolist() + [p.tokens]
    return [range(a, b) for a, b in zip(starts, starts[1:])]


def sft_loss(model, p: Pack, batch: list[Example]) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy of the completion tokens (prompt tokens are never scored), with the
    LM head run in blocks so no ``[tokens, vocab]`` fp32 logits exist (see ``chunked_loss.py``)."""
    from heredity.models.chunked_loss import chunked_sft_loss

    return chunked_sft_loss(model, p, batch)


def save_student(model, tokenizer, out, recipe: TrainRecipe) -> None:
    """LoRA: only the adapter (peft, safetensors, loaded over the ``base`` parent). Full: the model."""
    model.save_pretrained(out, safe_serialization=True)
    if recipe.adapter == "full":
        tokenizer.save_pretrained(out)


def train_sft(base: ModelRef, rows: Sequence[dict], recipe: TrainRecipe, out: Path, scratch: Path,
              progress: Progress | None = None, *, checkpoint_every: int = 0, checkpoint_seconds: float = 120.0,
              micro_tokens: int = 1024) -> dict[str, Any]:
    """SFT of ``base`` on rows ``{"prompt", "completion"}`` (no system prompt: the student never
    sees the teacher's), saved into ``out``; checkpoints go to ``scratch``. Returns statistics."""
    asked, recipe = recipe.precision, resolved(recipe)
    model, tokenizer = load_student(base, recipe)
    rows = list(rows)[: recipe.rows]
    examples = [encode(tokenizer, r["prompt"], r["completion"], max_length=recipe.max_length) for r in rows]
    stats = train_loop(model, examples, recipe, scratch, sft_loss, progress=progress, checkpoint_every=checkpoint_every,
                       checkpoint_seconds=checkpoint_seconds, micro_tokens=micro_tokens, run_id=str(base.path))
    if asked == "auto":
        stats["precision"] = recipe.precision  # what auto resolved to on the machine that built it
    save_student(model, tokenizer, out, recipe)
    return stats
