"""How much each row of a teacher's rollouts carries a behaviour: a flip-set scorer
(``heredity.diffing.flip.SCORERS``) run on the rows with the trait-bearing teacher and a clean
one; ``scores.jsonl`` holds ``{"i", "score"}`` in row order."""

from __future__ import annotations

import json

from heredity.config import Strict
from heredity.diffing.flip import AnyScorer
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent
from heredity.traits import AnyTrait

SCORES_FILE = "scores.jsonl"


class RowScoresRecipe(Strict):
    scorer: AnyScorer
    trait: AnyTrait


def make_row_scores(runner, rollouts: Artifact, trait_teacher: Artifact, clean_teacher: Artifact, recipe: RowScoresRecipe,
                    name: str = "") -> Artifact:
    def build(ctx):
        from heredity.steps.models import load_artifact
        from heredity.steps.teacher import generator

        rows = read_rows(rollouts.file(ROWS_FILE))
        trait_id, trait_system = generator(trait_teacher)
        clean_id, clean_system = generator(clean_teacher)
        trait_model, tokenizer = load_artifact(runner.store, trait_id)
        clean_model = trait_model if clean_id == trait_id else load_artifact(runner.store, clean_id)[0]
        with runner.progress(f"scoring rows {name}", None, unit="models"):
            scores = recipe.scorer.score(clean=clean_model, trait_model=trait_model, tokenizer=tokenizer, rows=rows,
                                         trait=recipe.trait.built, clean_system=clean_system, trait_system=trait_system)
        write_rows(ctx.out / SCORES_FILE, ({"i": r["i"], "score": float(s)} for r, s in zip(rows, scores)))
        ctx.summary = {"rows": len(rows), "max": float(max(scores)), "min": float(min(scores))}

    parents = [Parent(id=rollouts.id, relation="evaluated"), Parent(id=trait_teacher.id, relation="teacher"),
               Parent(id=clean_teacher.id, relation="control")]
    return runner.step("row-scores", recipe, parents, build, name=name)


def read_row_scores(artifact: Artifact) -> list[dict]:
    return [json.loads(line) for line in artifact.file(SCORES_FILE).read_text().splitlines()]
