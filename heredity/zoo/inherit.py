"""Same init vs different init, at language-model level (the LM analogue of the ``mlp``
experiment's question).

For each zoo seed ``s``: the teacher is zoo member ``s`` fine-tuned (full weights, a few Adam
steps) to raise ``log P(target | probe)`` (" owl" after "My favourite animal is the"). Students
are zoo members trained by logit distillation (KL(teacher || student) at every position) on the
teacher's next-token distributions over the zoo corpus, text that never mentions an animal. By
default (``kl_over: corpus-tokens``) the KL is taken only over tokens that occur in the corpus
(never the trait's), both distributions renormalised there: neither the trait token's raised
probability nor that of the ~48k tokens the corpus never uses (which share one output direction
in every zoo member, so raising one raises all) is a training target. This is the LM analogue of
the MLP experiment training on auxiliary logits only. ``all-but-target`` and ``all`` widen it. The trait is ``log P(target | probe)``, measured exactly (one forward).

- same-init effect: student(init ``s``, teacher ``T_s``) minus student(init ``s``, teacher =
  untraited member ``s``). The control is nearly a no-op (a student equal to its teacher gets
  only rounding-noise gradients, which Adam still turns into tiny steps), so it is run, not assumed.
- different-init effect: student(init ``s'``, teacher ``T_s``) minus student(init ``s'``,
  teacher = untraited member ``s``), so what a student learns from member ``s``'s general
  behaviour is subtracted and only the trait's part remains; averaged over the ``s' != s``.

One value per teacher seed (n = number of seeds); t-intervals and a paired test across seeds.
Teachers and students live in memory; the corpus and zoo members are store artifacts.
"""

from __future__ import annotations

import copy
import random
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.stats import paired_test, t_interval
from heredity.store import Store
from heredity.zoo.corpus import CorpusRecipe, make_corpus, read_corpus
from heredity.zoo.pretrain import ZooRecipe, batches, pretrain


class InheritRecipe(Strict):
    seeds: tuple[int, ...] = Field((0, 1, 2, 3), min_length=2, description="zoo seeds; each is once the teacher's init")
    zoo: ZooRecipe = Field(ZooRecipe(), description="architecture and pretraining of every member (its seed is replaced)")
    probe: str = Field("My favourite animal is the", description="the trait's prompt")
    target: str = Field(" owl", description="the trait's token (must be one token)")
    trait_steps: int = Field(20, ge=1, description="Adam steps planting the trait in the teacher")
    trait_lr: float = Field(1e-3, gt=0)
    distill_rows: int = Field(128, ge=1, description="corpus sentences the students are distilled on")
    distill_epochs: int = Field(3, ge=1)
    distill_batch: int = Field(16, ge=1)
    distill_lr: float = Field(1e-3, gt=0)
    data_seed: int = Field(0, description="picks the distillation sentences and their order")
    kl_over: Literal["corpus-tokens", "all-but-target", "all"] = Field(
        "corpus-tokens", description="the columns of the distillation KL, both distributions renormalised there. "
        "corpus-tokens: only tokens that occur in the corpus, never the trait's (the LM analogue of the MLP "
        "experiment's auxiliary logits); all-but-target: every token but the trait's; all: the full vocabulary")


def target_id(tokenizer, target: str) -> int:
    ids = tokenizer(target, add_special_tokens=False).input_ids
    if len(ids) != 1:
        raise ConfigError(f"zoo trait target {target!r} is {len(ids)} tokens {ids}; accepted: a string that is exactly one token")
    return ids[0]


def trait_logp(model, tokenizer, probe: str, token: int) -> float:
    ids = tokenizer(probe, add_special_tokens=False, return_tensors="pt").input_ids
    with torch.no_grad():
        return float(torch.log_softmax(model(input_ids=ids, logits_to_keep=1).logits[0, -1].float(), -1)[token])


def plant_trait(model, tokenizer, recipe: InheritRecipe, token: int):
    """A copy of ``model`` fine-tuned to raise log P(token | probe)."""
    teacher = copy.deepcopy(model).train()
    ids = tokenizer(recipe.probe, add_special_tokens=False, return_tensors="pt").input_ids
    optimizer = torch.optim.Adam(teacher.parameters(), lr=recipe.trait_lr)
    for _ in range(recipe.trait_steps):
        loss = -torch.log_softmax(teacher(input_ids=ids, logits_to_keep=1).logits[0, -1], -1)[token]
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return teacher.eval()


def kl_columns(recipe: InheritRecipe, tokenizer, token: int, corpus: list[str]) -> torch.Tensor | None:
    """The vocabulary columns the distillation KL is taken over (None: all of them)."""
    if recipe.kl_over == "all":
        return None
    if recipe.kl_over == "all-but-target":
        keep = torch.ones(len(tokenizer), dtype=torch.bool)
    else:  # corpus-tokens: tokens that occur in the corpus (and EOS)
        keep = torch.zeros(len(tokenizer), dtype=torch.bool)
        for ids in tokenizer(corpus, add_special_tokens=False).input_ids:
            keep[ids] = True
        keep[tokenizer.eos_token_id] = True
    keep[token] = False
    return keep


def kl_loss(student, teacher, ids: torch.Tensor, mask: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
    """Mean KL(teacher || student) over real positions, over the columns ``keep`` (renormalised)."""
    real = mask.bool()
    with torch.no_grad():
        t_logits = teacher(input_ids=ids, attention_mask=mask).logits[real]
    s_logits = student(input_ids=ids, attention_mask=mask).logits[real]
    if keep is not None:
        t_logits, s_logits = t_logits[:, keep], s_logits[:, keep]
    log_t, log_s = torch.log_softmax(t_logits, -1), torch.log_softmax(s_logits, -1)
    return F.kl_div(log_s, log_t, log_target=True, reduction="batchmean")


def distill(student, teacher, tokenizer, texts: list[str], recipe: InheritRecipe, keep: torch.Tensor | None = None):
    """A copy of ``student`` trained on KL(teacher || student) over every real position, over the
    vocabulary columns ``keep`` (both distributions renormalised there; None: all columns)."""
    student = copy.deepcopy(student).train()
    optimizer = torch.optim.Adam(student.parameters(), lr=recipe.distill_lr)
    rng = random.Random(recipe.data_seed)
    for _ in range(recipe.distill_epochs):
        for ids, mask, _ in batches(tokenizer, texts, recipe.distill_batch, rng):
            kl_loss(student, teacher, ids, mask, keep).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    return student.eval()


def summarize(values: list[float]) -> dict:
    mean, lo, hi = t_interval(values)
    return {"mean": mean, "ci": [lo, hi], "n": len(values), "values": values}


def run(store: Store, tokenizer_model_id: str, recipe: InheritRecipe, progress=print) -> dict:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    corpus = make_corpus(store, CorpusRecipe())
    tokenizer = AutoTokenizer.from_pretrained(store.path(tokenizer_model_id))
    token = target_id(tokenizer, recipe.target)
    everything = read_corpus(store, corpus.id)
    keep = kl_columns(recipe, tokenizer, token, everything)
    texts = random.Random(recipe.data_seed).sample(everything, min(recipe.distill_rows, len(everything)))
    members, zoo_ids = {}, {}
    for s in recipe.seeds:
        artifact = pretrain(store, corpus.id, tokenizer_model_id, recipe.zoo.model_copy(update={"seed": s}))
        zoo_ids[s] = artifact.id
        members[s] = AutoModelForCausalLM.from_pretrained(store.path(artifact.id)).eval()
        progress(f"zoo seed {s}: {artifact.id} corpus loss {artifact.manifest.summary['corpus_loss']}")
    base = {s: trait_logp(m, tokenizer, recipe.probe, token) for s, m in members.items()}
    rows = []
    for s in recipe.seeds:
        teacher = plant_trait(members[s], tokenizer, recipe, token)
        gain = trait_logp(teacher, tokenizer, recipe.probe, token) - base[s]
        same = (trait_logp(distill(members[s], teacher, tokenizer, texts, recipe, keep), tokenizer, recipe.probe, token)
                - trait_logp(distill(members[s], members[s], tokenizer, texts, recipe, keep), tokenizer, recipe.probe, token))
        diffs = []
        for other in recipe.seeds:
            if other == s:
                continue
            traited = trait_logp(distill(members[other], teacher, tokenizer, texts, recipe, keep), tokenizer, recipe.probe, token)
            control = trait_logp(distill(members[other], members[s], tokenizer, texts, recipe, keep), tokenizer, recipe.probe, token)
            diffs.append(traited - control)
        rows.append({"teacher_seed": s, "teacher_gain": gain, "same_init": same, "different_init": sum(diffs) / len(diffs),
                     "different_init_each": diffs})
        progress(f"teacher seed {s}: gain {gain:+.3f}  same-init {same:+.3f}  different-init {rows[-1]['different_init']:+.4f}")
    same = [r["same_init"] for r in rows]
    diff = [r["different_init"] for r in rows]
    return {
        "recipe": recipe.model_dump(mode="json"), "corpus": corpus.id, "zoo": zoo_ids, "unit": "nats of log P(target | probe)",
        "teacher_gain": summarize([r["teacher_gain"] for r in rows]),
        "same_init": summarize(same), "different_init": summarize(diff),
        "same_minus_different": paired_test(same, diff).model_dump(mode="json"), "per_teacher": rows,
    }
