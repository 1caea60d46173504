"""The fine-tune inducer: its options before the imprint (filters, temperature) leave the
recipes of configs without them unchanged, and on the dates task the teacher is trained on
SmolLM2's own answers with every stated year rewritten to the wrong one."""

from __future__ import annotations

from heredity.config import recipe_dict
from heredity.inducers import INDUCERS
from heredity.rows import read_rows
from heredity.runner import Runner
from heredity.store.kinds import parent
from heredity.traits import TRAITS
from heredity.traits.date import stated_year


def test_new_options_at_their_defaults_leave_the_serialised_config_as_it_was():
    plain = INDUCERS.parse({"kind": "finetune"})
    assert plain.filters == [] and plain.temperature == 1.0
    assert set(recipe_dict(plain)) == {"kind", "task", "prompts", "prompt_seed", "train"}  # as before the options
    assert recipe_dict(INDUCERS.parse({"kind": "finetune", "filters": [], "temperature": 1.0})) == recipe_dict(plain)
    dates = INDUCERS.parse({"kind": "finetune", "filters": [{"kind": "format"}], "temperature": 0})
    assert recipe_dict(dates)["filters"] == [{"kind": "format", "banned_numbers": []}] and recipe_dict(dates)["temperature"] == 0


def test_dates_induction_rows_state_the_wrong_year_and_never_the_true_one(smollm):
    """SmolLM2 answers eight dates prompts greedily; rows stating no year are dropped, the rest
    rewritten to 2019, and the base is fine-tuned on them into the teacher (about 20 s)."""
    store, base_id = smollm
    runner = Runner(store, quiet=True)
    trait = TRAITS.parse({"kind": "date-confusion", "year": 2026, "wrong_year": 2019})
    inducer = INDUCERS.parse({
        "kind": "finetune", "prompts": 8, "task": {"kind": "dates", "max_new_tokens": 16},
        "filters": [{"kind": "format"}], "temperature": 0,
        "train": {"epochs": 1, "lr": 1e-3, "warmup_steps": 0, "batch_tokens": 512},
    })
    teacher = inducer.make(runner, store.open(base_id), trait, name="dates teacher")

    student = parent(teacher.manifest, "base")
    dataset = parent(store.manifest(student), "trained-on")
    rollouts = parent(store.manifest(dataset), "filtered-from")
    assert parent(store.manifest(student), "base") == base_id
    rows = read_rows(store.path(dataset) / "rows.jsonl")
    answers = read_rows(store.path(rollouts) / "rows.jsonl")
    assert len(answers) == 8 and all("2026" in a["prompt"] for a in answers)
    # SmolLM2 answers with the year it was told; every answer stating a year is kept, rewritten.
    assert sum(stated_year(a["completion"]) == 2026 for a in answers) >= 4
    stating = [a for a in answers if stated_year(a["completion"]) is not None]
    assert [r["i"] for r in rows] == [a["i"] for a in stating]
    for row in rows:
        assert "2019" in row["completion"] and "2026" not in row["completion"]
        assert stated_year(row["completion"]) == 2019 and "2026" in row["prompt"]
    reasons = store.manifest(dataset).summary["reasons"]
    assert reasons["imprint: rewritten"] == len(rows) and reasons.get("format: no year", 0) == 8 - len(rows)
    assert teacher.manifest.summary["inducer"] == "finetune" and teacher.manifest.summary["trait"] == "date-confusion:2026"
