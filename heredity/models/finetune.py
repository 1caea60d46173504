"""Students: the training recipe, SFT on sampled completions, and the shared training loop.

Why a plain peft + torch loop and not TRL's ``SFTTrainer``: the loop is ~80 lines of standard
parts (peft LoRA, torch AdamW, linear warm-up schedule, clipped gradients), and owning it gives
what SFTTrainer does not on this CPU: exact packing through varlen attention (transformers'
position-id packing with sdpa builds an ``[L, L]`` mask; see ``varlen.py``), logits only at
completion positions (the 49k-word head is a fifth of the model), a resumable checkpoint in the
store's scratch folder with bit-identical resumes, and one loop shared with logit distillation (``training.fit``; the loss is what differs).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from peft import PeftModel

from heredity.models.chunked_loss import chunked_sft_loss, completion_logits
from heredity.models.loading import ModelRef, load
from heredity.models.packing import Example, Pack, encode, micro_batches, pack, plan_steps
from heredity.models.recipe import TrainRecipe
from heredity.models.training import Resume, Step, fit, mean_ends
from heredity.models.varlen import varlen

__all__ = ["TrainRecipe", "completion_logits", "load_student", "sft_loss", "train_loop", "train_sft"]



Progress = Callable[..., None]
# loss of one pack: (model, pack) -> (sum of per-position losses, number of positions)
PackLoss = Callable[[Any, Pack, list[Example]], tuple[torch.Tensor, int]]
# per-position keep masks (a loss mitigation): (student at init, tokenizer, rows, examples) -> one bool [C] per example
Keeps = Callable[[Any, Any, list[dict], list[Example]], list[torch.Tensor]]


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

        # peft annotates lora_alpha as int but scales by alpha / r: a float alpha works as given
        config = LoraConfig(r=recipe.rank, lora_alpha=recipe.alpha, lora_dropout=recipe.dropout,  # type: ignore[arg-type]
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
               micro_tokens: int = 1024, run_id: object = "") -> dict[str, Any]:
    """Optimise ``pack_loss`` (summed over completion positions, averaged per step) over the
    seeded step plan with ``training.fit``; checkpoint every ``checkpoint_every`` steps or
    ``checkpoint_seconds``."""
    lengths = [len(ex) for ex in examples]
    plan = plan_steps(lengths, epochs=recipe.epochs, batch_tokens=recipe.batch_tokens, seed=recipe.seed)
    steps = [Step(micro=micro_batches(rows, lengths, micro_tokens), divisor=sum(len(examples[i].completion) for i in rows))
             for rows in plan]
    optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad], recipe)
    resume = Resume(Path(scratch), fingerprint(recipe, examples, micro_tokens, run_id), model,
                    every=checkpoint_every, seconds=checkpoint_seconds)
    autocast = torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=recipe.precision == "bf16-autocast")

    def micro_loss(micro: list[int]) -> torch.Tensor:
        batch = [examples[i] for i in micro]
        with autocast:
            total, _ = pack_loss(model, pack(batch), batch)
        return total

    model.train()
    if progress is not None:  # the bar's total, so it shows n/N and an ETA, not n/?
        progress(0, total=len(steps))
    with varlen(model):
        trained = fit(steps, micro_loss, optimizer, lr=lambda step: lr_at(step, len(steps), recipe),
                      max_grad_norm=recipe.max_grad_norm, progress=progress, resume=resume)
    model.eval()
    done = [i for rows in plan[trained.start:] for i in rows]
    first, last = mean_ends(trained.losses)
    return {
        "steps": len(steps), "resumed_at_step": trained.start, "rows": len(examples),
        "train_tokens": sum(lengths[i] for i in done), "completion_tokens": sum(len(examples[i].completion) for i in done),
        "wall_s": round(trained.wall_s, 2),
        "tokens_per_s": round(sum(lengths[i] for i in done) / trained.wall_s, 1) if trained.wall_s > 0 else None,
        "loss_first": first, "loss_last": last,
    }


def sft_loss(model, p: Pack, batch: list[Example]) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy of the completion tokens (prompt tokens are never scored), with the
    LM head run in blocks so no ``[tokens, vocab]`` fp32 logits exist (see ``chunked_loss.py``)."""
    return chunked_sft_loss(model, p, batch)


def save_student(model, tokenizer, out, recipe: TrainRecipe) -> None:
    """LoRA: only the adapter (peft, safetensors, loaded over the ``base`` parent). Full: the model."""
    model.save_pretrained(out, safe_serialization=True)
    if recipe.adapter == "full":
        tokenizer.save_pretrained(out)


def masked_sft_loss(model, p: Pack, keep: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy over the kept completion positions of a pack (``keep`` ``[N]`` in the
    pack's target order), and how many were kept. A masked position adds nothing, gradient
    included (its term is not computed at all)."""
    import torch.nn.functional as F

    keep = keep.to(model.device)
    logits = completion_logits(model, p).float()[keep]
    return F.cross_entropy(logits, p.targets.to(model.device)[keep], reduction="sum"), int(keep.sum())


def masked_keeps(keeps: Keeps, model, tokenizer, rows: list[dict], examples: list[Example]) -> tuple[dict[int, torch.Tensor], dict]:
    """The keep mask of each example (by ``id``), computed on the student before it trains, and
    the counts a student's summary records."""
    was_training = model.training
    model.eval()
    masks = keeps(model, tokenizer, rows, examples)
    model.train(was_training)
    for ex, m in zip(examples, masks, strict=True):
        if m.shape != (len(ex.completion),):
            raise ValueError(f"a keep mask has shape {tuple(m.shape)}; its example has {len(ex.completion)} completion tokens")
    total = sum(len(ex.completion) for ex in examples)
    masked = sum(int((~m).sum()) for m in masks)
    return {id(ex): m for ex, m in zip(examples, masks)}, {"masked_tokens": masked, "masked_share": round(masked / max(1, total), 5)}


def train_sft(base: ModelRef, rows: Sequence[dict], recipe: TrainRecipe, out: Path, scratch: Path,
              progress: Progress | None = None, *, checkpoint_every: int = 0, checkpoint_seconds: float = 120.0,
              micro_tokens: int = 1024, keeps: Keeps | None = None) -> dict[str, Any]:
    """SFT of ``base`` on rows ``{"prompt", "completion"}`` (no system prompt: the student never
    sees the teacher's), saved into ``out``; checkpoints go to ``scratch``. Returns statistics.
    ``keeps``: a loss mitigation's per-position masks; a masked position is left out of the loss
    (``masked_sft_loss``: its term is never computed, so it has no gradient)."""
    asked, recipe = recipe.precision, resolved(recipe)
    model, tokenizer = load_student(base, recipe)
    rows = list(rows)[: recipe.rows]
    examples = [encode(tokenizer, r["prompt"], r["completion"], max_length=recipe.max_length) for r in rows]
    pack_loss: PackLoss = sft_loss
    extra: dict[str, Any] = {}
    if keeps is not None:
        by_id, extra = masked_keeps(keeps, model, tokenizer, rows, examples)

        def pack_loss(model, p, batch):
            return masked_sft_loss(model, p, torch.cat([by_id[id(ex)] for ex in batch]))

    stats = train_loop(model, examples, recipe, scratch, pack_loss, progress=progress, checkpoint_every=checkpoint_every,
                       checkpoint_seconds=checkpoint_seconds, micro_tokens=micro_tokens,
                       run_id=str(base.path) if keeps is None else (str(base.path), "masked", extra["masked_tokens"]))
    stats.update(extra)
    if asked == "auto":
        stats["precision"] = recipe.precision  # what auto resolved to on the machine that built it
    save_student(model, tokenizer, out, recipe)
    return stats
