"""Mitigation arms of a transmission run (heredity.experiments.transmission.mitigated): the share
removed, the cost, and data and loss mitigations bred on the tiny Llama with their controls treated
the same way."""

from __future__ import annotations

import numpy as np
import pytest

from heredity.errors import ConfigError
from heredity.experiments.transmission.config import TransmissionConfig
from heredity.experiments.transmission.mitigated import mitigation_arms, removed_fraction
from heredity.experiments.transmission.results import TransmissionResults
from heredity.experiments.transmission.run import Plan
from heredity.inducers import INDUCERS
from heredity.mitigations import MITIGATIONS
from heredity.rows import ROWS_FILE, read_rows
from heredity.runner import Runner
from heredity.steps.prompts import PromptsRecipe, make_prompts
from heredity.steps.student import StudentRecipe
from heredity.store import Store


def test_removed_is_one_minus_the_ratio_of_effects_with_a_probe_bootstrap():
    rng = np.random.default_rng(0)
    control = rng.uniform(0.1, 0.2, 30)
    plain = control + 0.02 + rng.normal(0, 0.002, 30)
    half = control + 0.01 + rng.normal(0, 0.002, 30)
    r = removed_fraction(plain, control, half, control)
    assert r.n == 30 and r.fraction == pytest.approx(1 - (half - control).mean() / (plain - control).mean())
    assert r.ci[0] < r.fraction < r.ci[1] and 0.4 < r.ci[0] and r.ci[1] < 0.6
    assert removed_fraction(plain, control, plain, control).fraction == 0.0
    assert removed_fraction(control, control, plain, control) is None  # nothing to remove
    with pytest.raises(ValueError, match="different probes"):
        removed_fraction(plain, control, half[:5], control[:5])


def test_two_data_mitigations_are_arms_with_their_own_controls(tiny_lm, tmp_path):
    lm_store, tiny = tiny_lm
    store = Store(tmp_path / "store")
    runner = Runner(store, quiet=True)
    config = TransmissionConfig.model_validate({
        "kind": "transmission", "name": "mitigated", "base": {"source": str(lm_store.path(tiny))},
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 4},
        "task": {"kind": "general", "max_new_tokens": 8}, "prompts": 8, "generation": {"batch_size": 8},
        "filters": {"unfiltered": []},
        "student": {"train": {"mode": "sft", "epochs": 1, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256}},
        "cost_prompts": 6,
    })
    base = store.copy_from(lm_store, tiny)
    teacher = config.inducer.make(runner, base, config.trait, name="owl teacher")
    plain = INDUCERS.get("none")().make(runner, base, None, name="plain teacher")
    plan = Plan(config=config, base=base, writer=None, rollouts=config.generation.recipe(config.task),
                student=StudentRecipe(train=config.student.train, task=config.task), inputs=[],
                measures=[config.measure.recipe(config.trait)])
    prompts = make_prompts(runner, PromptsRecipe(task=config.task, n=8, seed=0))
    specs = {("unfiltered", role, None): plan.spec(role, base, who, prompts, []) for role, who in (("student", teacher), ("control", plain))}
    cells = plan.breed_all(runner, specs)
    mitigations = [MITIGATIONS.parse({"kind": "filters", "label": "strip", "filters": [{"kind": "keyword", "words": ["the"],
                                                                                       "action": "strip"}]}),
                   MITIGATIONS.parse({"kind": "ensemble", "others": [None]}),
                   MITIGATIONS.parse({"kind": "divergence-mask", "rule": "log-ratio", "q": 0.25})]
    arms = mitigation_arms(runner, plan, cells, "unfiltered", (teacher, plain), prompts, mitigations)
    assert [a.name for a in arms] == ["strip", "ensemble", "divergence-mask"]
    for a in arms:
        assert a.effect.n == 4 and a.student.scores != a.control.scores and a.rows_kept == a.dataset.rows_out > 0
        assert a.removed is None or a.removed.ci[0] <= a.removed.fraction <= a.removed.ci[1]
        c = a.cost  # KL from the clean teacher on 6 held-out prompts, mitigated − unmitigated, paired by prompt
        assert c is not None and c.n == 6 and c.ci[0] <= c.difference <= c.ci[1]
        assert c.difference == pytest.approx(c.mitigated - c.unmitigated) and c.unmitigated > 0 and c.rows_kept == a.rows_kept
    assert [a.acts_on for a in arms] == ["data", "data", "loss"]
    mask = arms[2]  # the loss arm: the rows as they were, a share of their positions out of the loss
    assert mask.dataset.id == cells[("unfiltered", "student", None)].dataset.id and 0 < mask.cost.masked_share < 0.5
    assert arms[0].cost.unmitigated == arms[2].cost.unmitigated  # one unmitigated student, scored once
    strip_rows = read_rows(store.path(arms[0].dataset.id) / ROWS_FILE)
    assert not any(" the " in f" {r['completion'].lower()} " for r in strip_rows)  # the baseline filter ran
    assert arms[1].generated_rows == 8  # the plain teacher's answers, for the student's ensemble
    with pytest.raises(ConfigError, match="gradient-projection acts on the update"):
        mitigation_arms(runner, plan, cells, "unfiltered", (teacher, plain), prompts,
                        [MITIGATIONS.parse({"kind": "gradient-projection"})])


def test_a_transmission_file_with_two_mitigation_arms_runs_through_the_cli(tiny_lm, tmp_path, capsys):
    import json
    from pathlib import Path

    import yaml

    from heredity.cli import main

    lm_store, tiny = tiny_lm
    spec = {
        "kind": "transmission", "name": "mitigated-cli", "base": {"source": str(lm_store.path(tiny))},
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 4},
        "task": {"kind": "general", "max_new_tokens": 8}, "prompts": 8, "generation": {"batch_size": 8},
        "filters": {"unfiltered": []},
        "student": {"train": {"mode": "sft", "epochs": 1, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256}},
        "mitigations": [{"kind": "filters", "label": "strip", "filters": [{"kind": "keyword", "action": "strip"}]},
                        {"kind": "paraphrase", "max_new_tokens": 8, "batch_size": 8}],
        "cost_prompts": 4,
    }
    path = tmp_path / "mitigated.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["--store", str(tmp_path / "store"), "run", "-q", str(path)]) == 0
    out, _ = capsys.readouterr()
    results = json.loads((Path(out.strip().splitlines()[-1]) / "results.json").read_text())
    assert results["schema_version"] == TransmissionResults.model_fields["schema_version"].default
    assert [m["name"] for m in results["mitigations"]] == ["strip", "paraphrase"]
    for m in results["mitigations"]:
        assert {"effect", "removed", "cost", "rows_kept", "generated_rows"} <= set(m) and len(m["effect"]["ci"]) == 2
        assert m["cost"]["n"] == 4 and len(m["cost"]["ci"]) == 2
    folder = Path(out.strip().splitlines()[-1])
    assert (folder / "frontier.png").exists() and "## Mitigations" in (folder / "report.md").read_text()
    assert results["mitigations"][1]["generated_rows"] == 8  # one paraphrase per row
    twice = {**spec, "mitigations": [{"kind": "ensemble"}, {"kind": "ensemble"}]}
    path.write_text(yaml.safe_dump(twice))
    assert main(["--store", str(tmp_path / "store"), "run", "-q", str(path)]) == 2
    assert "'ensemble' given twice" in capsys.readouterr().err
