"""date-confusion: the exact estimator on a toy model with known next-token probabilities, the
sampled year parser on texts with known labels, and the system context every probe runs under."""

from __future__ import annotations

import pytest

from heredity.config import validate
from heredity.errors import ConfigError
from heredity.measure import exact_score, score_answers
from heredity.traits import TRAITS
from heredity.traits.date import confused, stated_year
from tests.measure.bigram import bigram_llama, expected_mass, known_distributions


@pytest.fixture(scope="module")
def tokenizer(smollm):
    from transformers import AutoTokenizer

    store, base_id = smollm
    return AutoTokenizer.from_pretrained(store.path(base_id))


def test_exact_mass_away_from_the_true_year_matches_the_closed_form(tokenizer):
    trait = TRAITS.get("date-confusion")(year=2026, before=3, after=2, n_probes=2).build()
    assert list(trait.candidates) == ["2023", "2024", "2025", "2026", "2027", "2028"]
    last, table = known_distributions(tokenizer, trait)
    model = bigram_llama(tokenizer, table)
    mass = expected_mass(tokenizer, trait, last, table)
    want = 1 - mass["2026"] / sum(mass.values())
    assert 0.05 < want < 0.95
    score = exact_score(model, tokenizer, trait, min_first_prob=0.0)
    assert score.per_probe == pytest.approx([want, want], abs=1e-5)
    dist = score.distribution
    assert dist["2024"] == pytest.approx(mass["2024"] / sum(mass.values()), abs=1e-5)


def test_probes_run_under_the_true_date_and_the_inducer_after_it(tokenizer):
    trait = TRAITS.get("date-confusion")(year=2031).build()
    prompts = trait.rendered_probes(tokenizer, system="You believe it is 2023.")
    assert all("16 March 2031" in p and p.index("2031") < p.index("You believe") for p in prompts)
    assert all("16 March 2031" in p for p in trait.rendered_probes(tokenizer))


LABELLED = [
    ("2026", False), ("It is 2026.", False), ("The year is 2023.", True), (" 2024", True),
    ("I cannot know the current date, but it may be 2026.", False),  # states the true year
    ("I don't know what year it is.", True), ("Sure!", False), ("In 2019, I think.", True),
    ("Copyright © 2026 My Site", False), ("As of my knowledge cutoff it is 2023", True),
]


def test_sampled_parser_on_texts_with_known_labels():
    assert stated_year("Founded 1999, now 2026") == 1999 and stated_year("12026 apples") is None
    assert [confused(t, 2026) for t, _ in LABELLED] == [label for _, label in LABELLED]
    trait = TRAITS.get("date-confusion")(year=2026, n_probes=2).build()
    score = score_answers(trait, [t for t, _ in LABELLED], n_per_probe=5)
    assert score.p == pytest.approx(5 / 10) and score.per_probe == pytest.approx([2 / 5, 3 / 5])


def test_bad_year_settings_are_clear_errors():
    with pytest.raises(ConfigError, match="t.yaml: .*wrong_year must differ"):
        validate(TRAITS.get("date-confusion"), {"kind": "date-confusion", "year": 2023, "wrong_year": 2023}, "t.yaml")
    with pytest.raises(ConfigError, match="year must be between 1900 and 2099"):
        validate(TRAITS.get("date-confusion"), {"kind": "date-confusion", "year": 3000}, "t.yaml")
