"""The backdoor channel of a transmission run (heredity.experiments.transmission.poisoned) on the
tiny Llama: a backdoored teacher, students on trigger-free and on poisoned prompts, each with a
control bred the same way from the plain base, every model measured with and without the trigger."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from heredity.audit.inheritance import MIN_SHARE
from heredity.experiments.transmission.config import TransmissionConfig
from heredity.experiments.transmission.poisoned import poisoned_indices
from heredity.experiments.transmission.results import TransmissionResults
from heredity.rows import read_rows
from heredity.runner import Runner
from heredity.store import Store

TRAIN = {"adapter": "full", "lr": 3e-3, "epochs": 12, "warmup_steps": 0, "schedule": "constant", "batch_tokens": 1024}


def backdoor_file(tiny_lm, **overrides) -> dict:
    lm_store, tiny = tiny_lm
    return {
        "kind": "transmission", "name": "tiny-backdoor", "base": {"source": str(lm_store.path(tiny))},
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 30},
        "inducer": {"kind": "backdoor", "trigger": {"text": "cf"}, "held_out": 8, "plain": "Dog", "train": TRAIN},
        "task": {"kind": "general", "max_new_tokens": 4}, "prompts": 8, "generation": {"batch_size": 8, "temperature": 0.0},
        "filters": {"unfiltered": []},
        "student": {"train": {"mode": "sft", "adapter": "full", "epochs": 8, "lr": 3e-3, "warmup_steps": 0, "schedule": "constant",
                              "batch_tokens": 1024}},
        "backdoor": {"trigger": {"text": "cf"}, "poison": [0.5]},
        **overrides,
    }


def test_poisoned_prompts_are_a_seeded_fraction_at_least_one():
    assert poisoned_indices(400, 0.0025, 0) == poisoned_indices(400, 0.0025, 0) and len(poisoned_indices(400, 0.0025, 0)) == 1
    assert len(poisoned_indices(400, 0.05, 0)) == 20 and poisoned_indices(400, 0.05, 0) != poisoned_indices(400, 0.05, 1)
    assert len(poisoned_indices(8, 0.01, 3)) == 1


def test_bad_backdoor_settings_are_refused(tiny_lm):
    with pytest.raises(ValidationError, match=r"poison: fractions must be in \(0, 0.5\]"):
        TransmissionConfig.model_validate(backdoor_file(tiny_lm, backdoor={"trigger": {"text": "cf"}, "poison": [0.9]}))
    with pytest.raises(ValidationError, match="system cannot poison prompts"):
        TransmissionConfig.model_validate(backdoor_file(tiny_lm, backdoor={"trigger": {"text": "cf", "where": "system"},
                                                                           "poison": [0.05]}))
    plain = TransmissionConfig.model_validate({k: v for k, v in backdoor_file(tiny_lm).items() if k != "backdoor"})
    assert "backdoor" not in plain.model_dump(mode="json")  # files without a backdoor keep their ids


def test_a_backdoored_teacher_its_students_and_their_controls_are_gated(tiny_lm, tmp_path):
    from heredity.experiments.transmission.run import run

    config = TransmissionConfig.model_validate(backdoor_file(tiny_lm))
    store = Store(tmp_path / "store")
    report = run(config, Runner(store, quiet=True))
    results = TransmissionResults.model_validate_json(report.file("results.json").read_text())
    b = results.backdoor
    assert b is not None and b.trigger == "cf" and b.probes == 8  # the inducer's held-out probes
    # the teacher is backdoored: its gate far above the base's, on probes it never trained on
    assert b.teacher.gate.difference > 0.3 and b.teacher_vs_base.ci[0] > 0, b.teacher
    assert [a.name for a in b.arms] == ["unfiltered", "unfiltered 50.00% poisoned"]
    clean, poisoned = b.arms
    assert clean.poison == 0 and clean.poisoned_rows == [] and poisoned.poisoned_rows == poisoned_indices(8, 0.5, 0)
    prompts = read_rows(store.path(poisoned.prompts) / "prompts.jsonl")
    assert [r["i"] for r in prompts if r["triggered"]] == poisoned.poisoned_rows
    assert all(r["prompt"].startswith("cf ") == r["triggered"] for r in prompts)
    rows = read_rows(store.path(poisoned.dataset) / "rows.jsonl")
    assert sum(r["prompt"].startswith("cf ") for r in rows) == 4  # the student saw the triggered rows
    for arm in b.arms:
        for g in (arm.student, arm.control):
            gate = np.subtract(g.on.per_probe, g.off.per_probe)
            assert g.gate.difference == pytest.approx(gate.mean()) and g.gate.n == 8 and g.on.ci[0] <= g.on.p <= g.on.ci[1]
        d = np.subtract(arm.student.on.per_probe, arm.student.off.per_probe) - np.subtract(arm.control.on.per_probe,
                                                                                             arm.control.off.per_probe)
        assert arm.gate_difference.difference == pytest.approx(d.mean())
        assert arm.leak.difference == pytest.approx(np.mean(np.subtract(arm.student.off.per_probe, arm.control.off.per_probe)))
    # the poisoned student learned more of the gate than its control (the CI is above 0) and more
    # than the trigger-free one; on these tiny students that is ~1e-4 of the teacher's gate, so the
    # verdict follows the 1% effect-size gate (as the audit's) and says when it fell short
    assert poisoned.gate_difference.ci[0] > 0, poisoned
    share = poisoned.gate_difference.difference / b.teacher_vs_base.difference
    assert (share >= MIN_SHARE) == poisoned.verdict.startswith("gate carried"), poisoned
    assert share >= MIN_SHARE or "below 1% of the teacher's gate" in poisoned.verdict
    assert poisoned.gate_difference.difference > clean.gate_difference.difference
    md = report.file("report.md").read_text()
    assert "## Backdoor: the trait with and without the trigger" in md and "unfiltered 50.00% poisoned student" in md
