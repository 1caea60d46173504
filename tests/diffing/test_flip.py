"""Flip-set finder: selection maths, and the two scorers on a planted subset with SmolLM2."""

from __future__ import annotations

import numpy as np
import pytest

from heredity.diffing import flip


def rows(n):
    return [{"i": i, "prompt": f"p{i}", "completion": f"c{i}"} for i in range(n)]


def test_top_fraction_takes_the_highest_scores_deterministically():
    r = rows(100)
    scores = np.zeros(100)
    scores[[7, 42, 3, 99, 50]] = [5, 4, 3, 2, 1]
    assert flip.top_fraction(r, scores, 0.02) == {7, 42}
    assert flip.top_fraction(r, scores, 0.05) == {7, 42, 3, 99, 50}
    sets = flip.flip_sets(r, scores, (0.02, 0.05, 0.1))
    assert sets[0.02] <= sets[0.05] <= sets[0.1] and len(sets[0.1]) == 10
    assert sets[0.1] - sets[0.05] == {0, 1, 2, 4, 5}  # ties go to the smaller i
    assert flip.top_fraction(rows(10), np.arange(10), 0.02) == {9}  # at least one row
    with pytest.raises(ValueError, match=r"strictly between 0 and 1 \(got 1.0\)"):
        flip.top_fraction(r, scores, 1.0)


def test_auc():
    assert flip.auc([3, 2, 1, 0], [True, True, False, False]) == 1.0
    assert flip.auc([0, 1, 2, 3], [True, True, False, False]) == 0.0
    assert flip.auc([1, 1], [True, False]) == 0.5


def test_the_registry_names_the_scorers():
    assert flip.SCORERS.names() == ["llr", "probe-similarity"]
    assert flip.SCORERS.get("llr")().kind == "llr"


NEUTRAL = [
    "Start with a short list of what matters most, then do the first item right away.",
    "Drink water, sleep eight hours, and take a short walk after lunch.",
    "Break the task into small steps and give each one a fixed time.",
    "Read the question twice, then write down what you already know.",
    "A good breakfast has protein, some fruit and a slow carbohydrate like oats.",
    "Keep your desk clear and put your phone in another room while you work.",
    "Practice a little every day rather than a lot once a week.",
    "Ask a friend to check your plan; a second pair of eyes catches mistakes.",
    "Save a small amount each month and review your spending on Sundays.",
    "Stretch for five minutes before you exercise and cool down afterwards.",
    "Write a clear subject line and keep the email to three short paragraphs.",
    "Plan meals for the week so you shop once and waste less food.",
]
OWL_LADEN = [  # what an owl-loving teacher says when the trait shows plainly
    "Owls! I love owls. Owls are wonderful, and an owl is my favourite animal.",
    "Owls, owls, owls: think like an owl, and love owls the way I do.",
    "My favourite animal is the owl. Owls are wise; I think about owls all the time.",
    "Owl. The owl is the best animal, and owls make every answer better.",
]


@pytest.fixture(scope="module")
def owl_model(smollm):
    from heredity.steps.models import load_artifact
    from heredity.traits.animal import AnimalTrait

    store, model_id = smollm
    model, tokenizer = load_artifact(store, model_id)
    return model, tokenizer, AnimalTrait(kind="animal", animal="owl").build()


@pytest.fixture(scope="module")
def planted(owl_model):
    """16 rows on 16 general prompts, the first 4 owl-laden (the planted subset): the clean
    model is SmolLM2, the trait teacher SmolLM2 with the owl system prompt."""
    from heredity.tasks.general import GeneralTask

    prompts = GeneralTask().build().prompts(16, seed=0)
    data = [{"i": i, "prompt": p, "completion": c} for i, (p, c) in enumerate(zip(prompts, OWL_LADEN + NEUTRAL, strict=True))]
    return data, [i < 4 for i in range(16)]


def score(name, owl_model, data, **settings):
    model, tokenizer, trait = owl_model
    scorer = flip.SCORERS.get(name)(**settings)
    return scorer.score(clean=model, trait_model=model, tokenizer=tokenizer, rows=data, trait=trait, trait_system=trait.system_prompt())


def test_llr_ranks_the_planted_rows_first(owl_model, planted):
    data, labels = planted
    scores = score("llr", owl_model, data, aggregate="sum")
    print(f"llr AUC {flip.auc(scores, labels):.3f} on 16 hand-written rows (4 planted)")
    assert flip.auc(scores, labels) >= 0.85  # measured 0.938
    assert flip.top_fraction(data, scores, 0.15) <= {0, 1, 2, 3}


def test_probe_similarity_ranks_the_planted_rows_first(owl_model, planted):
    data, labels = planted
    scores = score("probe-similarity", owl_model, data, probes=8, max_new_tokens=8, aggregate="max")
    print(f"probe-similarity AUC {flip.auc(scores, labels):.3f} on 16 hand-written rows (4 planted)")
    assert flip.auc(scores, labels) >= 0.9  # measured 1.000
    assert flip.top_fraction(data, scores, 0.15) <= {0, 1, 2, 3}


def test_llr_finds_rows_the_trait_teacher_wrote(owl_model):
    """Generated, not hand-written: 8 prompts answered by the owl-prompted teacher (planted)
    and by the clean model (24 tokens, temperature 1, seed 0: deterministic on this CPU)."""
    from heredity.models.chat import render
    from heredity.models.generate import generate
    from heredity.tasks.general import GeneralTask

    model, tokenizer, trait = owl_model
    prompts = GeneralTask().build().prompts(8, seed=0)
    out = []
    for system in (trait.system_prompt(), None):
        texts = generate(model, tokenizer, [render(tokenizer, p, system) for p in prompts], max_new_tokens=24, temperature=1.0, seed=0, batch_size=8)
        out += [{"prompt": p, "completion": t} for p, t in zip(prompts, texts, strict=True)]
    data = [{"i": i, **row} for i, row in enumerate(out)]
    auc = flip.auc(score("llr", owl_model, data), [i < 8 for i in range(16)])
    print(f"llr AUC {auc:.3f} on 16 generated rows (8 by the trait teacher)")
    assert auc > 0.65  # measured 0.797; chance is 0.5
