"""Breed the 2^k crossed cells of two pipelines, attribute the behaviour gap to the factors,
then (when asked) patch teacher B's rollouts into a fraction of A's prompts, and find the
prompt subsets where swapping the teacher flips the behaviour, swap against drop.

Every cell is ``cell.breed``: a cell takes each factor from pipeline A or B (base, prompt set,
teacher, filters); steps shared between cells (a teacher's rollouts of one prompt set) are
built once. Interventions on rows (patch, swap, drop) are ``steps.patch`` artifacts whose two
parents are the two teachers' rollouts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from heredity import stats
from heredity.cell import Cell, CellSpec
from heredity.diffing import attribution, design, found, patching
from heredity.diffing.flip import top_fraction
from heredity.experiments.base import breed_all, report_step
from heredity.experiments.diffing.config import DiffingConfig, Flip, Interpolation
from heredity.experiments.diffing.cost import filter_costs
from heredity.experiments.diffing.report import write_report
from heredity.experiments.diffing.results import (
    DiffingResults,
    FlipArm,
    InterpolationPoint,
    LeakStudent,
    Score,
    TraitDiff,
    flip_tests,
    leak_student,
)
from heredity.measure import log_floor
from heredity.models.loading import ModelSource
from heredity.rows import ROWS_FILE, read_rows
from heredity.runner import Runner
from heredity.steps.dataset import DatasetRecipe
from heredity.steps.models import import_base
from heredity.steps.patch import PatchRecipe, make_patched
from heredity.steps.prompts import PromptsRecipe, make_prompts
from heredity.steps.row_scores import RowScoresRecipe, make_row_scores, read_row_scores
from heredity.steps.scores import read_score
from heredity.steps.student import StudentRecipe
from heredity.steps.teacher import generator
from heredity.store import Artifact

# Bump when results.json or report.md change shape: reports are cheap views, rebuilt on change.
REPORT_VERSION = 6  # 2: effects_model; interpolation endpoints are the grid cells. 3: log_floor, flip_drop.
# 4: flip_sets (topic precision / recall), leakage, swap − drop over seeds, behaviours side by side.
# 5: leak_student, mitigations per pipeline (results schema 2). 6: mitigation_costs (schema 3)
LEVELS = ("A", "B")


class Grid:
    """The two pipelines' parts, made once, and the cell specs that combine them."""

    def __init__(self, config: DiffingConfig, runner: Runner):
        self.config = config
        self.runner = runner  # a cell whose filter level has mitigations makes its rows when its spec is drawn
        pipes = {"A": config.a, "B": config.b}
        self.pipes = pipes
        self.bases = {lvl: self._base(runner, p.base, lvl) for lvl, p in pipes.items()}
        self.teachers = {}
        for lvl, p in pipes.items():  # a teacher is its own model (default: the pipeline's base) plus an inducer
            model = import_base(runner, p.teacher.model) if p.teacher.model is not None else self.bases[lvl]
            self.teachers[lvl] = p.teacher.inducer.make(runner, model, p.teacher.trait, name=f"teacher {lvl}")
        self.prompts = {lvl: make_prompts(runner, PromptsRecipe(task=p.prompts.task, n=p.prompts.n, seed=p.prompts.seed),
                                          name=f"prompts {lvl}") for lvl, p in pipes.items()}
        self.measures = tuple(config.measure.recipe(t) for t in config.traits)
        self.inputs: list[Artifact] = []

    @staticmethod
    def _base(runner, base, level: str) -> Artifact:
        """The imported source, or the model its inducer makes of it (a planted base)."""
        source = import_base(runner, ModelSource(source=base.source, dtype=base.dtype))
        if base.inducer is None:
            return source
        teacher = base.inducer.make(runner, source, base.trait, name=f"base {level} (induced)")
        return runner.store.open(generator(teacher)[0])

    def level(self, cell: dict, factor: str) -> str:
        return cell.get(factor, "A")  # a factor that is not crossed is the same in A and B

    def spec(self, cell: dict, name: str, *, data: Artifact | None = None, seeds=None) -> CellSpec:
        c, lv = self.config, (lambda f: self.level(cell, f))
        task = self.pipes[lv("prompts")].prompts.task
        base, teacher, prompts = self.bases[lv("base")], self.teachers[lv("teacher")], self.prompts[lv("prompts")]
        rollouts = c.generation.recipe(task)
        pipe = self.pipes[lv("filter")]
        filters, student, others = list(pipe.filters), StudentRecipe(train=c.students.train, task=task), ()
        if pipe.mitigations:
            data, extra, student, others = self._mitigate(pipe.mitigations, name, base, teacher, prompts, rollouts, data, student)
            filters += extra
        return CellSpec(
            name=name, base=base, teacher=teacher, prompts=prompts, rollouts=rollouts,
            dataset=DatasetRecipe(filters=filters, task=task, trait=c.traits[0]),
            student=student, seeds=tuple(seeds or c.students.seeds), measures=self.measures, data=data, others=others,
        )

    def rollouts(self, cell: dict) -> Artifact:
        """The cell's teacher's own rollouts of its prompts (before any mitigation), as ``cell.breed`` makes them."""
        from heredity.steps.rollouts import make_rollouts

        teacher, prompts = self.teachers[self.level(cell, "teacher")], self.level(cell, "prompts")
        return make_rollouts(self.runner, teacher, self.prompts[prompts], self.config.generation.recipe(self.pipes[prompts].prompts.task),
                             name=f"{teacher.manifest.name} rollouts")

    def _mitigate(self, mitigations, name: str, base, teacher, prompts, rollouts, data, student):
        """The filter level's mitigations, as a transmission mitigation arm applies them
        (``experiments.transmission.mitigated``): data mitigations turn the cell's rows (its
        teacher's rollouts, or the patched rows it was given) into the rows it learns from, in
        order, and may add filters after the pipeline's own; a loss mitigation goes into the
        student's recipe. The traited teacher a mitigation contrasts with is pipeline A's."""
        from dataclasses import replace

        from heredity.mitigations import ArmData
        from heredity.steps.rollouts import make_rollouts
        from heredity.students import STUDENT_KINDS

        runner = self.runner
        rows = data or make_rollouts(runner, teacher, prompts, rollouts, name=f"{teacher.manifest.name} rollouts")
        arm = ArmData(rows=rows, teacher=teacher, base=base, traited=self.teachers["A"], prompts=prompts, rollouts=rollouts,
                      name=name)
        distill = STUDENT_KINDS.get(self.config.students.train.mode).needs_teacher
        extra: list = []
        others: tuple = ()
        for m in mitigations:
            if m.acts_on_in(distill) == "loss":  # the rows as they are; the student's loss changes
                student = student.model_copy(update={"loss": m})
                others = tuple(m.teachers(runner, arm)[1:])
                continue
            rows, more = m.rows(runner, replace(arm, rows=rows, name=f"{name} {m.name}"))
            extra += more
        return rows, extra, student, others

    def breed(self, runner, specs: dict) -> dict:
        return breed_all(runner, specs, self.inputs)


def per_probe(cell: Cell, trait: str, scale: str = "probability", floor: float | None = None) -> np.ndarray:
    """``[seeds, probes]`` scores of one cell, on the attribution's scale (log: exact zeros
    floored at ``floor``, one value for the grid)."""
    return on_scale(np.array([read_score(a).per_probe for a in cell.scores[trait]]), scale, floor)


def on_scale(values: np.ndarray, scale: str, floor: float | None) -> np.ndarray:
    if scale != "log":
        return values
    if floor is None:
        raise ValueError("a log scale needs the grid's floor for exact zeros")
    return np.log(stats.floored(values, floor))


def sampled_counts(config: DiffingConfig, values: np.ndarray) -> dict:
    """Sampled outcomes as successes out of trials (each per-probe rate is matches / answers), so
    the effects come from a logistic GLM; {} for the exact estimator."""
    if config.measure.estimator != "sampled":
        return {}
    trials = config.measure.samples_per_probe
    successes = np.rint(values * trials)
    if not np.allclose(successes, values * trials, atol=1e-6):
        raise ValueError(f"sampled per-probe rates are not counts out of samples_per_probe = {trials}")
    return {"successes": successes, "trials": trials}


def run(config: DiffingConfig, runner: Runner) -> Artifact:
    factors = list(config.factors)
    grid = Grid(config, runner)
    cells = grid.breed(runner, {design.key(c, factors): grid.spec(c, design.name(c)) for c in design.cells(factors)})
    names = [t.built.name for t in config.traits]
    scale = config.measure.scale
    # On a log scale every exact per-probe 0 of the grid (and of its arms) reads as one floor, the
    # largest mass the estimator skipped in any cell: a zero in A and one in B read the same, and
    # no effect is made of where the estimator stopped (log 1e-300 would be hundreds of nats).
    floors = {t: log_floor(*(read_score(a) for c in cells.values() for a in c.scores[t])) for t in names} if scale == "log" else {}
    boot = Boot(draws=config.measure.bootstrap, seed=0, scale=scale, floors=floors)
    attributed = {}
    for trait in names:
        values = attribution.grid(factors, {key: per_probe(cell, trait, scale, floors.get(trait)) for key, cell in cells.items()})
        grid_attribution = attribution.attribute(factors, values, path_order=config.path_order, draws=boot.draws, seed=0,
                                                 bounded=scale == "probability", **sampled_counts(config, values))
        # Each cell's number names the scores artifacts it was read from.
        attributed[trait] = grid_attribution.model_copy(update={"cells": [
            c.model_copy(update={"scores": [a.id for a in cells[design.key(c.factors, factors)].scores[trait]]})
            for c in grid_attribution.cells]})

    extra: dict = {}
    if config.interpolation is not None or config.flip is not None:
        # Teacher A's and teacher B's rollouts of A's prompts: the cells that differ only in teacher.
        a_cell: design.Cell = {f: "A" for f in factors}
        ab_cell: design.Cell = {**a_cell, "teacher": "B"}
        if config.a.mitigations:  # the cells learnt from mitigated rows: patch the teachers' own, mitigated as A's cell is
            rollouts_a, rollouts_b = grid.rollouts(a_cell), grid.rollouts(ab_cell)
        else:
            rollouts_a, rollouts_b = cells[design.key(a_cell, factors)].rollouts, cells[design.key(ab_cell, factors)].rollouts
        if config.interpolation is not None:
            endpoints = {0.0: cells[design.key(a_cell, factors)], 1.0: cells[design.key(ab_cell, factors)]}
            extra["interpolation"] = _interpolate(runner, grid, config.interpolation, a_cell, rollouts_a, rollouts_b, names, boot, endpoints)
        if config.flip is not None:
            extra.update(_flip(runner, grid, config.flip, a_cell, rollouts_a, rollouts_b, names, boot))
    found_sets = extra.pop("flip_sets", None)
    mitigated = {lvl: [m.describe() for m in p.mitigations] for lvl, p in grid.pipes.items() if p.mitigations}
    leaked = extra.pop("leakage", None)

    def of(trait: str) -> TraitDiff:
        return TraitDiff.of(trait, attributed[trait], log_floor=floors.get(trait), **{k: v[trait] for k, v in extra.items()})

    headline, *rest = names
    results = DiffingResults(
        **dict(of(headline)), name=config.name, factors=factors, scorer=config.flip.scorer.kind if config.flip else None,
        scale=scale, flip_drop=config.flip.drop if config.flip else None, also={t: of(t) for t in rest},
        flip_sets=found_sets, leakage=leaked, mitigations=mitigated,
        mitigation_costs=filter_costs(runner, grid, cells, factors, config.cost_prompts),
    )
    return report_step(runner, config, results, grid.inputs, version=REPORT_VERSION, write=write_report,
                       summary=lambda r: {"gap": r.gap.value, "shapley": {f: s.share for f, s in r.attribution.shapley.items()}})


@dataclass(frozen=True)
class Boot:
    """How every arm's interval is drawn, and the scale its scores are read on."""

    draws: int
    seed: int
    scale: str
    floors: dict[str, float]


def _arm_score(cell_list: list[Cell], trait: str, boot: Boot) -> tuple[Score, np.ndarray]:
    """One arm's score over its units (seeds or random draws) and probes, and its per-probe means."""
    values = np.concatenate([per_probe(c, trait, boot.scale, boot.floors.get(trait)) for c in cell_list])
    score = attribution.resampled_score(values, draws=boot.draws, seed=boot.seed, bounded=boot.scale == "probability")
    return score, values.mean(axis=0)


def _interpolate(runner, grid: Grid, it: Interpolation, a_cell, rollouts_a, rollouts_b, names, boot, endpoints: dict[float, Cell]) -> dict[str, list]:
    """Teacher patching at each alpha (and the plain mixture): several random draws each.

    At alpha 0 and 1 every draw of either kind is all of A's rows or all of B's rows on A's
    prompts, which are the grid's cells (teacher A, and teacher B with the rest A): those are
    reused, their student seeds standing in for the draws, rather than trained again."""
    kinds = ("patch", "mixture") if it.mixture else ("patch",)
    specs = {}
    for kind in kinds:
        for alpha in it.alphas:
            if alpha in endpoints:
                continue
            for draw in range(it.draws):
                data = make_patched(runner, rollouts_a, rollouts_b, PatchRecipe(op=kind, alpha=alpha, seed=draw),
                                    name=f"{kind} {alpha:g} draw {draw}")
                specs[(kind, alpha, draw)] = grid.spec(a_cell, f"{kind} {alpha:g} d{draw}", data=data,
                                                       seeds=grid.config.students.seeds[:1])
    cells = grid.breed(runner, specs)
    out: dict[str, list[InterpolationPoint]] = {t: [] for t in names}
    for trait in names:
        for kind in kinds:
            for alpha in it.alphas:
                units = [endpoints[alpha]] if alpha in endpoints else [cells[(kind, alpha, d)] for d in range(it.draws)]
                score, _ = _arm_score(units, trait, boot)
                out[trait].append(InterpolationPoint(alpha=alpha, kind=kind, score=score))
    return out


def _flip(runner, grid: Grid, fl: Flip, a_cell, rollouts_a, rollouts_b, names, boot) -> dict[str, Any]:
    """Rank A's rows by the scorer (blind to the prompts' topics), check each top set against the
    topics the task labels and say where A's signature remains outside it (leakage); then, with
    ``arms``, per fraction: swap the top set to teacher B, drop it, and the same for random sets
    of the same size; swap − drop paired by probe, and over seeds and probes."""
    row_recipe = RowScoresRecipe(scorer=fl.scorer, trait=grid.config.traits[0])
    scored = make_row_scores(runner, rollouts_a, grid.teachers["A"], grid.teachers["B"], row_recipe, name="teacher A's rows")
    # The same scorer on teacher B's rows of the same prompts: where B's rows lie says which of
    # A's rows still carry A's signature once a flip set is dropped (leakage).
    scored_b = make_row_scores(runner, rollouts_b, grid.teachers["A"], grid.teachers["B"], row_recipe, name="teacher B's rows")
    grid.inputs += [scored, scored_b]
    rows = read_rows(rollouts_a.file(ROWS_FILE))
    scores = [s["score"] for s in read_row_scores(scored)]
    ids = [r["i"] for r in rows]
    task = grid.pipes["A"].prompts.task.built  # the topics are read only to check what the finder found
    topics = {r["i"]: task.topic(r["prompt"]) for r in rows}
    by_id = dict(zip(ids, scores, strict=True))
    found_sets = {fraction: sorted(top_fraction(rows, scores, fraction)) for fraction in fl.fractions}
    scores_b = [s["score"] for s in read_row_scores(scored_b)]
    leaked = found.leakage(by_id, scores_b, found_sets, topics if any(t is not None for t in topics.values()) else None)
    checked: dict[str, Any] = {"flip_sets": [found.flip_set(f, s, by_id, topics) for f, s in found_sets.items()], "leakage": leaked}
    if fl.leak_student:
        checked["leak_student"] = _leak_student(runner, grid, fl, a_cell, rollouts_a, rollouts_b, scored, by_id,
                                                found_sets[fl.test_fraction], leaked.cut, names, boot)
    if not fl.arms:
        return checked
    specs, sizes = {}, {}
    for fraction, top in found_sets.items():
        randoms = [sorted(s) for s in patching.random_subsets(ids, len(top), seed=int(fraction * 1e6), count=fl.random_draws)]
        sizes[fraction] = len(top)
        sets = [("swap", "swap", top, 0), ("drop", "drop", top, 0)]
        sets += [(f"random-{op}", op, r, d) for d, r in enumerate(randoms) for op in ("swap", "drop")]
        for arm, op, subset, draw in sets:
            recipe = PatchRecipe(op=op, subset=subset, refill=op == "drop" and fl.drop == "refill")
            data = make_patched(runner, rollouts_a, rollouts_b, recipe, name=f"{arm} {fraction:g}")
            specs[(fraction, arm, draw)] = grid.spec(a_cell, f"{arm} {fraction:g} d{draw}", data=data)
    cells = grid.breed(runner, specs)
    out: dict[str, dict] = {"flip": {}, "flip_test": {}, "flip_tests": {}}
    for trait in names:
        arms, pairs = [], {}
        for fraction in fl.fractions:
            for arm in ("swap", "drop", "random-swap", "random-drop"):
                group = [c for (f, a, _), c in cells.items() if f == fraction and a == arm]
                score, _ = _arm_score(group, trait, boot)
                arms.append(FlipArm(fraction=fraction, arm=arm, score=score, rows=sizes[fraction]))
            # [seeds, probes] of the found set's swap and drop (one cell each, seed s in both)
            swap, drop = (per_probe(cells[(fraction, arm, 0)], trait, boot.scale, boot.floors.get(trait)) for arm in ("swap", "drop"))
            pairs[fraction] = (swap, drop)
        tests = flip_tests(pairs, draws=boot.draws, seed=boot.seed)
        out["flip"][trait] = arms
        out["flip_tests"][trait] = tests
        out["flip_test"][trait] = next(t for t in tests if t.fraction == fl.test_fraction)
    return out | checked


def _leak_student(runner, grid: Grid, fl: Flip, a_cell, rollouts_a, rollouts_b, scored, by_id: dict[int, float],
                  found_set: list[int], cut: float, names, boot) -> dict[str, LeakStudent]:
    """Where a drop's leftover behaviour comes from: one student trained on teacher A's leaking
    rows alone (outside ``found_set``, scoring above the leakage ``cut``), and its control.

    The control learns teacher B's rows of the same prompts: the same number of rows and steps,
    the same base, filters and recipe, so student − control is the teacher's signature in those
    rows and nothing else. (The base, untrained, would also count what any fine-tuning on these
    prompts does; B's rows on other prompts would add the prompts' own effect.) Both are
    ``drop`` patches of every other row, selected by the row scores (kept in their lineage)."""
    flagged = set(found_set)
    leaking = sorted(i for i, s in by_id.items() if i not in flagged and s > cut)
    bounded = boot.scale == "probability"
    if not leaking:
        return {t: leak_student(fl.test_fraction, 0, None, None) for t in names}
    others = sorted(set(by_id) - set(leaking))
    recipe = PatchRecipe(op="drop", subset=others)
    label = f"leaking rows {fl.test_fraction:g}"
    student_rows = make_patched(runner, rollouts_a, None, recipe, name=f"teacher A's {label}", selected_by=scored)
    control_rows = make_patched(runner, rollouts_b, None, recipe, name=f"teacher B's {label}", selected_by=scored)
    ab_cell = {**a_cell, "teacher": "B"}  # the control's rows are teacher B's (its teacher, for a distilled student)
    cells = grid.breed(runner, {"student": grid.spec(a_cell, f"leak {fl.test_fraction:g}", data=student_rows),
                                "control": grid.spec(ab_cell, f"leak control {fl.test_fraction:g}", data=control_rows)})
    return {t: leak_student(fl.test_fraction, len(leaking), per_probe(cells["student"], t, boot.scale, boot.floors.get(t)),
                            per_probe(cells["control"], t, boot.scale, boot.floors.get(t)), draws=boot.draws, seed=boot.seed,
                            bounded=bounded) for t in names}
