"""Logit distillation: KL(teacher || student) of the next token at every completion position.

The teacher reads its system prompt, the student does not; both then read the same completion
tokens, so position j of the completion is aligned across the two packs. With a grammar, both
distributions are restricted to the tokens the grammar allows at that position and
renormalised there: logits outside are replaced by -inf before the softmax, so whatever the
teacher puts on other tokens (trait words) has exactly zero weight in the loss and its gradient.

Teacher logits are computed on the fly rather than precomputed: a full-vocabulary distribution
is 200 KB per position (40 GB for 1.6k rows), while a no-grad teacher forward costs about a
third of the student's forward + backward. When the teacher is the base itself (a system-
prompt teacher) and the student is LoRA, the teacher is the same module with its adapters
disabled — one copy of the weights. Otherwise a second frozen model is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.checkpoint import checkpoint

from heredity.models.chunked_loss import ROWS, completion_hidden, completion_logits, head_logits
from heredity.models.compat import check_same_tokenizer
from heredity.models.finetune import (
    Keeps,
    Progress,
    TrainRecipe,
    load_student,
    masked_keeps,
    resolved,
    save_student,
    train_loop,
)
from heredity.models.loading import ModelRef, load
from heredity.models.packing import Example, Pack, encode, pack

# A grammar is a heredity.models.grammar.TokenGrammar, or any callable that maps a completion's
# token ids to its allowed-token mask [T, V] (True = allowed at that position).
Grammar = Any


def grammar_masks(grammar: Grammar, completion: Sequence[int], vocab_size: int) -> torch.Tensor:
    """``[T, V]`` bool: the tokens allowed before each completion token.

    Walks the grammar's automaton along the completion. From a token the grammar does not allow
    on (a row sampled without the grammar), the remaining positions get an empty mask and are
    left out of the loss rather than trained on the full vocabulary.
    """
    if not hasattr(grammar, "next_state"):
        return torch.as_tensor(np.asarray(grammar(list(completion)), dtype=bool))[:, :vocab_size]
    full = grammar.full_mask(vocab_size)
    column = {int(t): j for j, t in enumerate(grammar.tokens)}
    allowed = grammar.allowed
    masks = np.zeros((len(completion), vocab_size), dtype=bool)
    state = grammar.start
    for i, token in enumerate(completion):
        masks[i] = full[state]
        j = column.get(int(token))
        if j is None or not allowed[state, j]:
            masks[i + 1:] = False
            break
        state = int(grammar.next_state[state, j])
    return torch.from_numpy(masks)


def restricted_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, int]:
    """Sum over positions of KL(p_teacher || p_student), both renormalised over ``mask``.

    Outside the mask both log-probabilities are -inf and every term is selected away with
    ``where`` (not multiplied by 0), so neither the loss nor any gradient depends on those logits.
    Positions whose mask is empty are skipped.
    """
    student_logits = student_logits.float()
    teacher_logits = teacher_logits.float()
    if mask is None:
        log_s = student_logits.log_softmax(-1)
        log_t = teacher_logits.log_softmax(-1)
        return (log_t.exp() * (log_t - log_s)).sum(), student_logits.shape[0]
    mask = mask.to(student_logits.device)
    rows = mask.any(-1)
    s, t, m = student_logits[rows], teacher_logits[rows], mask[rows]
    neg_inf = torch.tensor(float("-inf"), device=s.device)
    log_s = torch.where(m, s, neg_inf).log_softmax(-1)
    log_t = torch.where(m, t, neg_inf).log_softmax(-1)
    terms = torch.where(m, log_t.exp() * (log_t - log_s), torch.zeros((), device=s.device))
    return terms.sum(), int(rows.sum())


class TeacherPacks:
    """The teacher's side of a student pack: same rows, teacher prompts, same completions."""

    def __init__(self, teacher, teacher_examples: dict[int, Example], adapters_off: bool):
        self.teacher = teacher
        self.examples = teacher_examples
        self.adapters_off = adapters_off

    @contextmanager
    def _model(self, student_model):
        if self.teacher is None:  # the student itself, with its adapters off (it is in the train loop's varlen)
            with student_model.disable_adapter() if self.adapters_off else nullcontext():
                yield student_model
        else:  # a second model needs its own varlen patch
            from heredity.models.varlen import varlen

            with varlen(self.teacher):
                yield self.teacher

    @torch.no_grad()
    def logits(self, student_model, keys: list[int]) -> torch.Tensor:
        with self._model(student_model) as model:
            return completion_logits(model, pack([self.examples[k] for k in keys]))

    @torch.no_grad()
    def hidden(self, student_model, keys: list[int]):
        """``completion_hidden`` of the teacher (no gradient), or None when its head does not split."""
        with self._model(student_model) as model:
            return completion_hidden(model, pack([self.examples[k] for k in keys]))


def _block_kl(s_hidden, s_weight, s_cap, t_hidden, t_weight, t_cap, mask) -> torch.Tensor:
    # The teacher's block logits are made here, inside the checkpoint, so backward keeps only
    # the teacher's hidden block, never its [rows, V] logits.
    with torch.no_grad():
        t_logits = head_logits(t_hidden, t_weight, t_cap)
    return restricted_kl(head_logits(s_hidden, s_weight, s_cap), t_logits, mask)[0]


def chunked_kl(student_model, p: Pack, source: TeacherPacks | EnsemblePacks, keys: list[int], mask: torch.Tensor | None,
               rows: int = ROWS) -> tuple[torch.Tensor, int]:
    """``restricted_kl`` of a pack with both heads run in blocks of ``rows`` positions, so no
    ``[tokens, vocab]`` fp32 logits exist for either model (Gemma's head is 262k wide)."""
    student = completion_hidden(student_model, p)
    teacher = source.hidden(student_model, keys) if student is not None else None  # no teacher pass to throw away
    if student is None or teacher is None:
        return restricted_kl(completion_logits(student_model, p), source.logits(student_model, keys), mask)
    (s_hidden, s_weight, s_cap), (t_hidden, t_weight, t_cap) = student, teacher
    t_weight = t_weight.detach()
    if mask is not None and mask.shape[-1] == s_weight.shape[0] == t_weight.shape[0]:
        # Both distributions live on the allowed columns only (-inf elsewhere): run the heads on
        # the columns some position of the pack allows (a number grammar: 13 of 49k), not all.
        columns = mask.any(0).nonzero()[:, 0]
        mask, columns = mask[:, columns], columns.to(s_weight.device)
        s_weight, t_weight = s_weight[columns], t_weight[columns]
    total = s_hidden.new_zeros((), dtype=torch.float32)
    counted = 0
    for a in range(0, s_hidden.shape[0], rows):
        block = mask[a : a + rows] if mask is not None else None
        n = s_hidden[a : a + rows].shape[0] if block is None else int(block.any(-1).sum())
        if n == 0:
            continue
        total = total + checkpoint(_block_kl, s_hidden[a : a + rows], s_weight, s_cap, t_hidden[a : a + rows],
                                   t_weight, t_cap, block, use_reentrant=False)
        counted += n
    return total, counted


def mean_log_probs(teacher_logits: Sequence[torch.Tensor]) -> torch.Tensor:
    """Log-probabilities of the mean of the teachers' next-token distributions (``[N, V]`` each):
    log (1/K) sum_k softmax(l_k), computed as a log-sum-exp so no probability underflows."""
    stacked = torch.stack([torch.log_softmax(t.float(), dim=-1) for t in teacher_logits])
    return torch.logsumexp(stacked, dim=0) - torch.log(torch.tensor(float(len(teacher_logits)), device=stacked.device))


class EnsemblePacks:
    """Several teachers' sides of a student pack; the target is the mean of their distributions
    (``mean_log_probs``: log-probabilities, which ``restricted_kl``'s log-softmax leaves as they
    are, and renormalises over a grammar's allowed tokens when there is one)."""

    def __init__(self, sources: Sequence[TeacherPacks]):
        self.sources = list(sources)

    def logits(self, student_model, keys: list[int]) -> torch.Tensor:
        return mean_log_probs([s.logits(student_model, keys) for s in self.sources])

    def hidden(self, student_model, keys: list[int]):
        return None  # the mean is of distributions, not of hidden states: chunked_kl takes the logits path


def train_distill(base: ModelRef, teacher: ModelRef, teacher_system: str | None, rows: Sequence[dict], recipe: TrainRecipe,
                  out: Path, scratch: Path, grammar: Grammar | None = None, progress: Progress | None = None, *,
                  checkpoint_every: int = 0, checkpoint_seconds: float = 120.0, micro_tokens: int = 1024,
                  keeps: Keeps | None = None, others: Sequence[tuple[ModelRef, str | None]] = ()) -> dict[str, Any]:
    """Distil ``teacher`` (+ ``teacher_system``) into ``base`` on the rows' completions, saved into
    ``out`` like ``train_sft``. The teacher must share the student's tokenizer.

    ``keeps``: a loss mitigation's per-position masks (computed on the student before it trains);
    a masked position is out of the KL, gradient included. ``others``: more teachers (ref, system
    prompt); the target is then the mean of all the teachers' next-token distributions."""
    asked, recipe = recipe.precision, resolved(recipe)
    model, tokenizer = load_student(base, recipe)
    rows = list(rows)[: recipe.rows]
    students = [encode(tokenizer, r["prompt"], r["completion"], max_length=recipe.max_length) for r in rows]
    who = [(teacher, teacher_system), *others]
    sides = [[encode(tokenizer, r["prompt"], r["completion"], system=system, max_length=recipe.max_length) for r in rows]
             for _, system in who]
    for i, s in enumerate(students):  # cut all to the completion length all kept
        n = min(len(s.completion), *(len(side[i].completion) for side in sides))
        students[i] = Example(s.prompt, s.completion[:n])
        for side in sides:
            side[i] = Example(side[i].prompt, side[i].completion[:n])
    by_ids = {id(ex): i for i, ex in enumerate(students)}
    loaded: dict[str, Any] = {}
    sources = []
    for (ref, _), side in zip(who, sides):
        if ref == base and recipe.adapter == "lora" and not base.is_adapter:
            sources.append(TeacherPacks(None, dict(enumerate(side)), adapters_off=True))
            continue
        if str(ref) not in loaded:
            teacher_model, teacher_tokenizer = load(ref, dtype="bfloat16" if recipe.precision == "bf16" else None)
            check_same_tokenizer(teacher_tokenizer, tokenizer)
            teacher_model.requires_grad_(False)
            teacher_model.eval()
            loaded[str(ref)] = teacher_model
        sources.append(TeacherPacks(loaded[str(ref)], dict(enumerate(side)), adapters_off=False))
    source: TeacherPacks | EnsemblePacks = sources[0] if len(sources) == 1 else EnsemblePacks(sources)
    vocab = model.get_output_embeddings().weight.shape[0]
    kept: dict[int, torch.Tensor] = {}
    extra: dict[str, Any] = {}
    if keeps is not None:
        kept, extra = masked_keeps(keeps, model, tokenizer, rows, students)
    if len(sources) > 1:
        extra["teachers"] = len(sources)

    def kl_loss(student_model, p, batch: list[Example]) -> tuple[torch.Tensor, int]:
        keys = [by_ids[id(ex)] for ex in batch]
        mask = torch.cat([grammar_masks(grammar, ex.completion, vocab) for ex in batch]) if grammar is not None else None
        if kept:  # a masked position's row of the mask is empty: restricted_kl skips it
            keep = torch.cat([kept[id(ex)] for ex in batch]).unsqueeze(-1)
            mask = keep.expand(-1, vocab) if mask is None else mask & keep
        return chunked_kl(student_model, p, source, keys, mask)

    run_id: tuple = (str(base.path), str(teacher.path), teacher_system, grammar is not None)
    if keeps is not None or others:
        run_id += (extra.get("masked_tokens"), [(str(r.path), s) for r, s in others])
    stats = train_loop(model, students, recipe, scratch, kl_loss, progress=progress, checkpoint_every=checkpoint_every,
                       checkpoint_seconds=checkpoint_seconds, micro_tokens=micro_tokens, run_id=run_id)
    stats.update(extra)
    save_student(model, tokenizer, out, recipe)
    if asked == "auto":
        stats["precision"] = recipe.precision  # what auto resolved to on the machine that built it
    return stats
