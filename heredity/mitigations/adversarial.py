"""``adversarial-filter``: a classifier learns to tell the traited teacher's rows from a clean
teacher's (the student's base, no system prompt) on *other* prompts; it scores every row of the
arm, the top ``drop`` fraction is dropped, and the arm is refilled to as many rows from the
cell's teacher's answers to a third prompt set (lowest scores first, none above the cut), so the
student takes as many steps. The held-out AUC (with a bootstrap CI) is in the step's summary: a
classifier at chance drops rows at random.

The control cell is treated as its student cell: the same classifier scores its rows. For
distilled students the rows are the neutral writer's and the trait is in the logits, so this
filter only makes sense for SFT arms."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.config import Strict
from heredity.mitigations.base import MITIGATIONS, ArmData, MitigationConfig
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent


class AdversarialRecipe(Strict):
    drop: float = Field(..., gt=0, lt=1)
    heldout: float = Field(0.25, gt=0, lt=1)
    l2: float = Field(1.0, gt=0)
    seed: int = 0


@MITIGATIONS.register("adversarial-filter")
class AdversarialFilter(MitigationConfig):
    """Drop the rows a traited-vs-clean classifier scores highest, refill to the same count."""

    kind: Literal["adversarial-filter"] = "adversarial-filter"
    drop: float = Field(0.25, gt=0, lt=1, description="fraction of the arm's rows dropped (top classifier scores)")
    contrast_prompts: int = Field(64, ge=8, description="other prompts both teachers answer, to train the classifier")
    prompt_seed: int = Field(1000, description="seed of the contrast prompts; the refill prompts take the next seed")
    heldout: float = Field(0.25, gt=0, lt=1, description="share of the contrast rows held out for the AUC")
    l2: float = Field(1.0, gt=0, description="L2 penalty of the logistic regression")
    seed: int = 0

    def describe(self) -> str:
        return f"top {self.drop:.0%} rows by a traited-vs-clean classifier dropped, refilled to the same count"

    def rows(self, runner, arm: ArmData):
        from heredity.steps.prompts import PromptsRecipe, make_prompts
        from heredity.steps.rollouts import make_rollouts

        task = arm.rollouts.task
        contrast = make_prompts(runner, PromptsRecipe(task=task, n=self.contrast_prompts, seed=self.prompt_seed),
                                name=f"{task.kind} contrast prompts")
        n = len(read_rows(arm.rows.file(ROWS_FILE)))
        refill = make_prompts(runner, PromptsRecipe(task=task, n=max(8, 2 * round(self.drop * n) + 8), seed=self.prompt_seed + 1),
                              name=f"{task.kind} refill prompts")
        traited = make_rollouts(runner, arm.traited, contrast, arm.rollouts, name=f"{arm.traited.manifest.name} contrast rollouts")
        clean = make_rollouts(runner, arm.base, contrast, arm.rollouts, name="clean contrast rollouts")
        pool = make_rollouts(runner, arm.teacher, refill, arm.rollouts, name=f"{arm.teacher.manifest.name} refill rollouts")
        recipe = AdversarialRecipe(**self.model_dump(include=set(AdversarialRecipe.model_fields)))
        return adversarial_filter(runner, arm.rows, traited, clean, pool, recipe, name=f"{arm.name} adversarial filter".strip()), []


def adversarial_filter(runner, rows: Artifact, traited: Artifact, clean: Artifact, pool: Artifact, recipe: AdversarialRecipe,
                       name: str = "") -> Artifact:
    # The contrast rows chose which rows drop (selected-by); the refill pool's text is in the rows (input).
    parents = [Parent(id=rows.id, relation="filtered-from"), Parent(id=traited.id, relation="selected-by"),
               Parent(id=clean.id, relation="selected-by"), Parent(id=pool.id, relation="input")]

    def build(ctx):
        from heredity.mitigations.classifier import drop_and_refill, fit

        positives, negatives = ([r["completion"] for r in read_rows(a.file(ROWS_FILE))] for a in (traited, clean))
        model = fit(positives, negatives, heldout=recipe.heldout, l2=recipe.l2, seed=recipe.seed)
        source, extra = read_rows(rows.file(ROWS_FILE)), read_rows(pool.file(ROWS_FILE))
        kept, counts = drop_and_refill(source, extra, model.score([r["completion"] for r in source]),
                                       model.score([r["completion"] for r in extra]), recipe.drop)
        write_rows(ctx.out / ROWS_FILE, kept)
        ctx.summary = {**counts, "auc": round(model.auc, 4), "auc_ci": [round(v, 4) for v in model.auc_ci],
                       "auc_n": model.n_heldout, "train_n": model.n_train, "generated_rows": len(extra) + len(positives) + len(negatives)}

    return runner.step("mitigated", {"mitigation": "adversarial-filter", **recipe.model_dump(mode="json")}, parents, build,
                       name=name, seed=recipe.seed)
