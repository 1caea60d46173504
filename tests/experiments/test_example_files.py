"""The example files: every one parses, and the date-confusion example says what its header
says (a fine-tuned teacher on year-stating answers, students on general prompts, a filtered arm
that drops every row that could carry a date)."""

from __future__ import annotations

from pathlib import Path

import pytest

from heredity.experiments import load_experiment
from heredity.filters import apply_filters
from heredity.traits.date import PROBES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_file_parses(path):
    assert load_experiment(path).name


def test_date_confusion_example_parses_into_the_expected_config():
    config = load_experiment(EXAMPLES / "date-confusion.yaml")
    assert config.kind == "transmission" and config.base.source == "smollm2-135m-instruct"
    assert (config.trait.kind, config.trait.year, config.trait.wrong_year) == ("date-confusion", 2026, 2019)
    inducer = config.inducer
    assert inducer.kind == "finetune" and inducer.temperature == 0
    assert (inducer.task.kind, inducer.task.year, inducer.task.max_new_tokens) == ("dates", 2026, 24)
    assert [f.kind for f in inducer.filters] == ["format"]
    induction = inducer.task.build().prompts(inducer.prompts, inducer.prompt_seed)
    assert len(set(induction)) == inducer.prompts == 128 and not set(induction) & set(PROBES)
    assert (config.task.kind, config.task.max_new_tokens, config.prompts) == ("general", 48, 128)
    assert list(config.filters) == ["unfiltered", "dates-dropped"] and config.filters["unfiltered"] == []
    assert config.measure.estimator == "exact" and config.student.seeds == [0]
    assert config.student.train.mode == "sft"


def test_date_confusion_filtered_arm_drops_every_row_that_could_carry_a_date():
    config = load_experiment(EXAMPLES / "date-confusion.yaml")
    trait, task = config.trait.build(), config.task.build()
    texts = ["Water your plants in the morning.", "Back in 2019, gardens were smaller.", "Today, most people recycle.",
             "Check the calendar before planting.", "It depends on the year.", "Pick a date for the trip.",
             "Gardening is relaxing."]
    rows = [{"i": i, "prompt": "Explain home gardening to a complete beginner.", "completion": t} for i, t in enumerate(texts)]
    rows.append({"i": 7, "prompt": "How has chess changed over the last fifty years?", "completion": "It got faster."})
    kept, counts = apply_filters(rows, config.filters["dates-dropped"], task, trait)
    assert [r["i"] for r in kept] == [0, 6]
    assert counts["banned: year"] == 1 and counts["prompt: topic year"] == 1
    assert sum(n for reason, n in counts.items() if reason.startswith("keyword:")) == 4


def test_moreover_example_has_the_cut_sizes():
    config = load_experiment(EXAMPLES / "moreover-style.yaml")
    assert (config.prompts, config.task.max_new_tokens) == (160, 48)
    assert (config.inducer.prompts, config.inducer.task.max_new_tokens) == (128, 64)
    assert config.inducer.filters == [] and config.inducer.temperature == 1.0
