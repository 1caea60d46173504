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

Everything is a store artifact, so ``heredity lineage`` walks it and a rerun is a cache hit: the
corpus and the trait's probe are ``dataset``s; a teacher is a ``model`` (parents ``base``: its
zoo member, ``trained-on``: the trait data); a student is a ``model`` (parents ``base``: its
init, ``teacher``: the traited teacher or the untraited member, ``trained-on``: the corpus).
Every training here runs ``heredity.models.training.fit``; only the losses differ.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import Field

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.models.distill import restricted_kl
from heredity.models.training import Resume, Step, fit
from heredity.stats import paired_test, t_interval
from heredity.store import Artifact, Parent, Store
from heredity.zoo.corpus import CorpusRecipe, make_corpus, read_corpus
from heredity.zoo.pretrain import ZooRecipe, batches, fingerprint, pretrain


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


def trait_loss(model, ids: torch.Tensor, token: int) -> torch.Tensor:
    """-log P(token | the probe ``ids``): the loss that plants the trait."""
    return -torch.log_softmax(model(input_ids=ids, logits_to_keep=1).logits[0, -1], -1)[token]


def plant_trait(model, tokenizer, recipe: InheritRecipe, token: int, *, scratch: Path | None = None):
    """A copy of ``model`` fine-tuned to raise log P(token | probe); checkpoints go to ``scratch``."""
    teacher = copy.deepcopy(model).train()
    ids = tokenizer(recipe.probe, add_special_tokens=False, return_tensors="pt").input_ids
    optimizer = torch.optim.Adam(teacher.parameters(), lr=recipe.trait_lr)
    resume = None if scratch is None else Resume(scratch, fingerprint("trait", recipe.probe, token, recipe.trait_steps, recipe.trait_lr), teacher)
    fit([Step(micro=(ids,))] * recipe.trait_steps, lambda x: trait_loss(teacher, x, token), optimizer, resume=resume)
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
    if keep is not None:  # the columns themselves, not a mask: the head's other 48k columns never enter
        t_logits, s_logits = t_logits[:, keep], s_logits[:, keep]
    total, positions = restricted_kl(s_logits, t_logits, None)  # distillation's own KL (heredity.models.distill)
    return total / positions


def distill(student, teacher, tokenizer, texts: list[str], recipe: InheritRecipe, keep: torch.Tensor | None = None, *,
            scratch: Path | None = None):
    """A copy of ``student`` trained on KL(teacher || student) over every real position, over the
    vocabulary columns ``keep`` (both distributions renormalised there; None: all columns)."""
    student = copy.deepcopy(student).train()
    optimizer = torch.optim.Adam(student.parameters(), lr=recipe.distill_lr)
    rng = random.Random(recipe.data_seed)
    steps = [Step(micro=(b,)) for _ in range(recipe.distill_epochs) for b in batches(tokenizer, texts, recipe.distill_batch, rng)]
    resume = None if scratch is None else Resume(scratch, fingerprint("distill", texts, recipe.model_dump(mode="json")), student)
    fit(steps, lambda b: kl_loss(student, teacher, b[0], b[1], keep), optimizer, resume=resume)
    return student.eval()


def trait_data(store: Store, recipe: InheritRecipe) -> Artifact:
    """The trait's one training row (the probe, the target) as a ``dataset`` the teachers are trained on."""

    def build(ctx) -> None:
        (ctx.out / "rows.jsonl").write_text(json.dumps({"i": 0, "prompt": recipe.probe, "completion": recipe.target}) + "\n")
        ctx.summary = {"rows": 1}

    return store.produce("dataset", {"zoo_trait": {"probe": recipe.probe, "target": recipe.target}}, [], build,
                         name="zoo-trait").artifact


def _load_model(store: Store, artifact: Artifact):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(store.path(artifact.id)).eval()


def _load(store: Store, artifact: Artifact):
    from transformers import AutoTokenizer

    return _load_model(store, artifact), AutoTokenizer.from_pretrained(store.path(artifact.id))


def _save(ctx, model, tokenizer) -> None:
    model.save_pretrained(ctx.out, safe_serialization=True)
    tokenizer.save_pretrained(ctx.out)


def make_teacher(store: Store, member: Artifact, data: Artifact, recipe: InheritRecipe) -> Artifact:
    """Zoo member ``member`` with the trait planted: a ``model`` trained on the trait data."""

    def build(ctx) -> None:
        model, tokenizer = _load(store, member)
        token = target_id(tokenizer, recipe.target)
        teacher = plant_trait(model, tokenizer, recipe, token, scratch=ctx.scratch)
        _save(ctx, teacher, tokenizer)
        ctx.summary = {"trait_logp_base": trait_logp(model, tokenizer, recipe.probe, token),
                       "trait_logp": trait_logp(teacher, tokenizer, recipe.probe, token)}

    parents = [Parent(id=member.id, relation="base"), Parent(id=data.id, relation="trained-on")]
    return store.produce("model", {"zoo_teacher": {"steps": recipe.trait_steps, "lr": recipe.trait_lr}}, parents, build,
                         name=f"zoo teacher ({member.manifest.name})").artifact


def make_student(store: Store, init: Artifact, teacher: Artifact, corpus: Artifact, recipe: InheritRecipe) -> Artifact:
    """Zoo member ``init`` distilled from ``teacher`` on ``recipe.distill_rows`` corpus sentences."""
    student_recipe = {"rows": recipe.distill_rows, "epochs": recipe.distill_epochs, "batch": recipe.distill_batch,
                      "lr": recipe.distill_lr, "data_seed": recipe.data_seed, "kl_over": recipe.kl_over,
                      "target": recipe.target}  # the KL leaves the target's column out

    def build(ctx) -> None:
        model, tokenizer = _load(store, init)
        teacher_model = _load_model(store, teacher)
        everything = read_corpus(store, corpus.id)
        keep = kl_columns(recipe, tokenizer, target_id(tokenizer, recipe.target), everything)
        texts = random.Random(recipe.data_seed).sample(everything, min(recipe.distill_rows, len(everything)))
        _save(ctx, distill(model, teacher_model, tokenizer, texts, recipe, keep, scratch=ctx.scratch), tokenizer)
        ctx.summary = {"rows": len(texts)}

    parents = [Parent(id=init.id, relation="base"), Parent(id=teacher.id, relation="teacher"),
               Parent(id=corpus.id, relation="trained-on")]
    return store.produce("model", {"zoo_student": student_recipe}, parents, build,
                         name=f"zoo student of {teacher.manifest.name} from {init.manifest.name}").artifact


def summarize(values: list[float]) -> dict:
    mean, lo, hi = t_interval(values)
    return {"mean": mean, "ci": [lo, hi], "n": len(values), "values": values}


def run(store: Store, tokenizer_model_id: str, recipe: InheritRecipe, progress=print) -> dict:
    from transformers import AutoTokenizer

    corpus = make_corpus(store, CorpusRecipe())
    data = trait_data(store, recipe)
    tokenizer = AutoTokenizer.from_pretrained(store.path(tokenizer_model_id))
    token = target_id(tokenizer, recipe.target)
    members = {}
    for s in recipe.seeds:
        members[s] = pretrain(store, corpus.id, tokenizer_model_id, recipe.zoo.model_copy(update={"seed": s}))
        progress(f"zoo seed {s}: {members[s].id} corpus loss {members[s].manifest.summary['corpus_loss']}")

    def logp(artifact: Artifact) -> float:
        # the model only: the run's tokenizer is every member's (loading it again cost 0.1-1.1 s a read)
        return trait_logp(_load_model(store, artifact), tokenizer, recipe.probe, token)

    def student(init: int, teacher: Artifact) -> Artifact:
        return make_student(store, members[init], teacher, corpus, recipe)

    base = {s: logp(m) for s, m in members.items()}
    rows: list[dict[str, Any]] = []
    for s in recipe.seeds:
        teacher = make_teacher(store, members[s], data, recipe)
        gain = logp(teacher) - base[s]
        same_ids = (student(s, teacher), student(s, members[s]))
        same = logp(same_ids[0]) - logp(same_ids[1])
        diffs, diff_ids = [], []
        for other in recipe.seeds:
            if other == s:
                continue
            pair = (student(other, teacher), student(other, members[s]))
            diffs.append(logp(pair[0]) - logp(pair[1]))
            diff_ids.append([a.id for a in pair])
        rows.append({"teacher_seed": s, "teacher_gain": gain, "same_init": same, "different_init": sum(diffs) / len(diffs),
                     "different_init_each": diffs, "teacher": teacher.id,
                     "students": {"same_init": [a.id for a in same_ids], "different_init": diff_ids}})
        progress(f"teacher seed {s}: gain {gain:+.3f}  same-init {same:+.3f}  different-init {rows[-1]['different_init']:+.4f}")
    same_each: list[float] = [r["same_init"] for r in rows]
    different_each: list[float] = [r["different_init"] for r in rows]
    return {
        "recipe": recipe.model_dump(mode="json"), "corpus": corpus.id, "trait_data": data.id,
        "zoo": {s: m.id for s, m in members.items()}, "unit": "nats of log P(target | probe)",
        "teacher_gain": summarize([r["teacher_gain"] for r in rows]),
        "same_init": summarize(same_each), "different_init": summarize(different_each),
        "same_minus_different": paired_test(same_each, different_each).model_dump(mode="json"), "per_teacher": rows,
    }
