"""``ensemble``: K teachers, the traited one among clean or differently traited ones (each another
system prompt on the same base), so one teacher's idiosyncrasies are diluted. For SFT each row is
drawn, seeded, from one of the K teachers' answers to the same prompt; for distillation the target
is the mean of the K teachers' next-token distributions (``mean_target``)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Literal

from pydantic import Field

if TYPE_CHECKING:  # torch is imported where the math runs: reading a file never loads it
    import torch

from heredity.config import plugin
from heredity.mitigations.base import MITIGATIONS, ArmData, MitigationConfig
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent
from heredity.traits import TRAITS


@MITIGATIONS.register("ensemble")
class EnsembleMitigation(MitigationConfig):
    """The cell's teacher plus ``others`` (None: the plain base; a trait: a system-prompt teacher of it)."""

    kind: Literal["ensemble"] = "ensemble"
    others: list[plugin(TRAITS) | None] = Field(  # type: ignore[valid-type]
        [None, None], min_length=1, max_length=7, description="the other teachers: null for the plain base, or a trait "
        "(e.g. {kind: animal, animal: dog}) for a system-prompt teacher of it")
    seed: int = 0

    def describe(self) -> str:
        return f"rows drawn from {len(self.others) + 1} teachers (SFT); their mean next-token distribution (distillation)"

    def acts_on_in(self, distill: bool):
        return "loss" if distill else "data"

    def teachers(self, runner, arm: ArmData) -> list[Artifact]:
        from heredity.inducers import INDUCERS

        out = [arm.teacher]
        for trait in self.others:
            if trait is None:
                out.append(INDUCERS.get("none")().make(  # type: ignore[call-arg]  # the registered class defaults its kind
                    runner, arm.base, None, name="plain teacher"))
            else:
                out.append(INDUCERS.get("system-prompt")().make(  # type: ignore[call-arg]  # the registered class defaults its kind
                    runner, arm.base, trait, name=f"{trait.built.name} teacher"))
        return out

    def rows(self, runner, arm: ArmData):
        from heredity.steps.rollouts import make_rollouts

        sets = [arm.rows] + [make_rollouts(runner, t, arm.prompts, arm.rollouts, name=f"{t.manifest.name} rollouts")
                             for t in self.teachers(runner, arm)[1:]]
        return draw_step(runner, sets, self.seed, name=f"{arm.name} ensemble".strip()), []


def draw_rows(sets: list[list[dict]], seed: int) -> tuple[list[dict], list[int]]:
    """One row per prompt id present in every set, taken from a seeded choice of set; and how many
    rows each set gave."""
    by_id = [{r["i"]: r for r in rows} for rows in sets]
    rng = random.Random(f"ensemble:{seed}")
    taken = [0] * len(sets)
    out = []
    for i in [r["i"] for r in sets[0] if all(r["i"] in ids for ids in by_id)]:
        k = rng.randrange(len(sets))
        taken[k] += 1
        out.append(by_id[k][i])
    return out, taken


def draw_step(runner, sets: list[Artifact], seed: int, name: str = "") -> Artifact:
    parents = [Parent(id=a.id, relation="input") for a in sets]  # each set's text is in the rows

    def build(ctx):
        rows, taken = draw_rows([read_rows(a.file(ROWS_FILE)) for a in sets], seed)
        write_rows(ctx.out / ROWS_FILE, rows)
        ctx.summary = {"rows": len(rows), "rows_per_teacher": taken,
                       "generated_rows": sum(len(read_rows(a.file(ROWS_FILE))) for a in sets[1:])}

    return runner.step("mitigated", {"mitigation": "ensemble", "seed": seed}, parents, build, name=name, seed=seed)


def mean_target(teacher_logits: list[torch.Tensor]) -> torch.Tensor:
    """Log-probabilities of the mean of the teachers' next-token distributions (``[N, V]`` each):
    ``heredity.models.distill.mean_log_probs``, the target a distilled ensemble arm trains on."""
    from heredity.models.distill import mean_log_probs

    return mean_log_probs(teacher_logits)
