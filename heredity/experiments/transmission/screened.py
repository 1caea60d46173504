"""The screen arm: does dropping the rows a screen flags remove the trait?

After generation 1's cells are bred, the named arm's trait-student dataset is screened for the
trait teacher's signature against the run's base (``heredity.audit.screen``: a ``screen``
artifact). One student learns that dataset minus its top ``drop`` rows by ``by`` (a rollouts
artifact ``generated-from`` the dataset and ``selected-by`` the screen); a comparator learns it
minus as many rows drawn at random (seeded). Screening answers the question only where it beats
dropping rows blindly, so both are compared with the arm's control and with each other. Same
teacher, student recipe, seeds and measures as the arm; no filters on the reduced data.
"""

from __future__ import annotations

from statistics import fmean

from heredity.audit.screen import screen
from heredity.diffing.patching import random_subsets
from heredity.experiments.transmission.results import DroppedRows, ScreenArm, combine_seeds, compare, dataset_summary
from heredity.rows import ROWS_FILE, read_rows
from heredity.steps.patch import PatchRecipe, make_patched


def screen_arm(runner, plan, cells: dict, teacher, prompts) -> ScreenArm:
    """``plan``: the run's ``Plan``; ``cells``: generation 1's, keyed (arm, role, other base);
    ``teacher``: the trait teacher; ``prompts``: generation 1's (unused: the rows exist)."""
    s = plan.config.screen
    dataset = cells[(s.arm, "student", None)].dataset
    rows = dataset.manifest.summary["rows_out"]
    k = s.count(rows)
    scored = screen(runner.store, dataset.id, teacher.id, plan.base.id, recipe={"top_k": k, "by": s.by}, runner=runner)
    ranked = read_rows(scored.file(ROWS_FILE))
    scores = {r["i"]: r[s.by] for r in ranked}
    chosen = {
        "screened": sorted(r["i"] for r in ranked if r["flagged"]),  # the screen flags its top_k = k
        "random": sorted(random_subsets(scores.keys(), k, seed=s.seed)[0]),  # from all rows, the top ones included
    }
    data = {
        "screened": make_patched(runner, dataset, None, PatchRecipe(op="drop", subset=chosen["screened"]),
                                 name=f"{s.arm} minus {k} screened rows", selected_by=scored),
        "random": make_patched(runner, dataset, None, PatchRecipe(op="drop", subset=chosen["random"], seed=s.seed),
                               name=f"{s.arm} minus {k} random rows"),
    }
    specs = {how: plan.spec(f"{s.arm} {how}-drop student", plan.base, teacher, prompts, [], data=d) for how, d in data.items()}
    bred = plan.breed_all(runner, specs)

    trait = plan.measures[0].trait.built.name
    control, _ = combine_seeds(cells[(s.arm, "control", None)].scores[trait])
    students, parts = {}, {}
    for how, cell in bred.items():
        students[how], summary = combine_seeds(cell.scores[trait])
        parts[how] = DroppedRows(dataset=dataset_summary(cell.dataset), rows=chosen[how],
                                 mean_score=fmean(scores[i] for i in chosen[how]), student=summary,
                                 inheritance=compare(students[how], control))
    return ScreenArm(arm=s.arm, screen=scored.id, by=s.by, rows=rows, dropped=k, seed=s.seed, mean_score=fmean(scores.values()),
                     screened=parts["screened"], random=parts["random"], difference=compare(students["screened"], students["random"]))
