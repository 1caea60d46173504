"""What a diffing file's mitigations cost the students (issue 20: the transmission arms' cost,
``experiments.transmission.mitigated``, for a grid). For every pair of cells that differ only in
the filter factor, each cell's students are read against the cell's teacher on held-out prompts
of the cell's task that the teacher answers, at the positions where teacher A's and teacher B's
top-1 tokens agree (``heredity.steps.fit`` with the other teacher as the contrast: the positions
where the two pipelines' teachers diverge, which carry the behaviour, are left out). Reported:
filter level B − filter level A, seeds averaged per prompt, paired by prompt (> 0: the filter-B
students took up less of their teacher apart from the behaviour)."""

from __future__ import annotations

from pydantic import Field

from heredity.diffing import design
from heredity.results import Record
from heredity.steps.fit import HELD_OUT_SEED, fit_of, paired_cost
from heredity.steps.prompts import PromptsRecipe, make_prompts
from heredity.steps.rollouts import make_rollouts

METRIC = ("mean per-token KL(cell's teacher || student) on held-out completions, at the positions where teachers A "
          "and B agree on the top-1 token")


class FilterCost(Record):
    """One pair of cells that differ only in the filter factor."""

    cell: dict[str, str] = Field(description="the levels of the other factors both cells share")
    metric: str = METRIC
    teacher: str = Field(description="the cells' teacher (artifact id) the students are read against")
    n: int = Field(description="held-out prompts paired")
    filter_a: float = Field(description="filter level A's students' mean (seeds averaged per prompt)")
    filter_b: float = Field(description="filter level B's students' mean")
    difference: float = Field(description="B − A: > 0, the filter-B students took up less of their teacher")
    ci: tuple[float, float] = Field(description="95% paired bootstrap over held-out prompts")
    p_value: float = Field(description="paired t-test over held-out prompts")


def filter_costs(runner, grid, cells: dict, factors: list[str], n_prompts: int) -> list[FilterCost]:
    """One ``FilterCost`` per pair of cells across the filter factor, when a pipeline's filter
    level has mitigations; [] otherwise. A pair whose teachers agree on the top-1 token in fewer
    than 2 held-out rows has no cost and is left out. ``grid``: the run's ``Grid``; ``cells``: keyed by
    ``design.key``."""
    if "filter" not in factors or not any(p.mitigations for p in grid.pipes.values()):
        return []
    out = []
    for cell in design.cells(factors):
        if cell["filter"] != "B":
            continue
        plain = {**cell, "filter": "A"}
        level = grid.level(cell, "teacher")
        teacher, contrast = grid.teachers[level], grid.teachers["B" if level == "A" else "A"]
        pipe = grid.pipes[grid.level(cell, "prompts")]
        prompts = make_prompts(runner, PromptsRecipe(task=pipe.prompts.task, n=n_prompts, seed=pipe.prompts.seed + HELD_OUT_SEED),
                               name=f"prompts {grid.level(cell, 'prompts')} held-out (cost)")
        rows = make_rollouts(runner, teacher, prompts, grid.config.generation.recipe(pipe.prompts.task),
                             name=f"{teacher.manifest.name} held-out rollouts")
        b = fit_of(runner, cells[design.key(cell, factors)].students, teacher, rows, contrast=contrast)
        a = fit_of(runner, cells[design.key(plain, factors)].students, teacher, rows, contrast=contrast)
        paired = paired_cost(b, a)
        if paired is None:  # the two teachers agree on no top-1 token of 2 held-out rows: nothing to compare
            continue
        n, mean_a, mean_b, diff, ci, p = paired
        out.append(FilterCost(cell={f: v for f, v in cell.items() if f != "filter"}, teacher=teacher.id, n=n,
                              filter_a=mean_a, filter_b=mean_b, difference=diff, ci=ci, p_value=p))
    return out


def costs_markdown(costs: list[FilterCost]) -> list[str]:
    """report.md's lines for the costs (nothing computed here)."""
    from heredity.report.tables import fmt_ci, fmt_num, fmt_p_value, markdown_table

    if not costs:
        return []
    rows = [[", ".join(f"{f}={v}" for f, v in c.cell.items()) or "–", fmt_num(c.filter_a), fmt_num(c.filter_b),
             f"{fmt_num(c.difference)} {fmt_ci(c.ci)}", fmt_p_value(c.p_value)] for c in costs]
    return [f"What the mitigations cost: {costs[0].metric}, on {costs[0].n} held-out prompts (filter B − filter A, "
            "paired by prompt; > 0: the filter-B students took up less of their teacher apart from the behaviour).", "",
            markdown_table(["other factors", "filter A", "filter B", "B − A (95% CI)", "p"], rows), ""]
