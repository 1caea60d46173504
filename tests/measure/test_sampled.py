"""The sampled estimator (heredity.measure.sampled): real draws from the bigram toy, whose rate
is known, and scoring of given answers."""

from __future__ import annotations

import math

import pytest
import torch

from heredity.measure import sampled_score, score_answers
from heredity.traits import TRAITS
from tests.measure.bigram import bigram_llama, known_distributions, toy_trait


def test_sampled_interval_covers_the_known_rate(tokenizer):
    """One-token answers drawn from the toy model: the known rate is the mass of the tokens
    whose text the scorer accepts."""
    trait = toy_trait(probes=[f"Question {i}: your favorite animal, one word." for i in range(8)])
    last, table = known_distributions(tokenizer, trait)
    table[last][tokenizer(" owl", add_special_tokens=False).input_ids[0]] += 4  # a one-token owl answer
    model = bigram_llama(tokenizer, table)
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    probs = torch.softmax(table[last].double(), -1)
    known = float(sum(probs[i] for i, t in enumerate(texts) if trait.matches(t)))
    assert known > 0.05

    def sample_one_token(model, tokenizer, prompts, *, max_new_tokens, temperature, seed, batch_size, progress=None):
        # A real draw from the model's own next-token distribution (answers are one token long).
        g = torch.Generator().manual_seed(seed)
        out = []
        with torch.no_grad():
            for prompt in prompts:
                ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids
                p = torch.softmax(model(input_ids=ids).logits[0, -1].double() / temperature, -1)
                out.append(tokenizer.decode(torch.multinomial(p, 1, generator=g)))
        return out

    score = sampled_score(model, tokenizer, trait, n_per_probe=50, seed=3, generate_fn=sample_one_token, max_new_tokens=1)
    assert score.method == "sampled" and score.n == 400 and score.probes == 8
    assert score.ci[0] <= known <= score.ci[1]
    assert abs(score.p - known) < 4 * math.sqrt(known * (1 - known) / 400)
    assert score.deff >= 1.0


def test_sampled_score_with_the_package_generator(tiny_lm):
    """The default generate function runs end to end (no rate asserted: a random tiny model)."""
    pytest.importorskip("heredity.models.generate")
    from heredity.steps.models import load_artifact

    store, model_id = tiny_lm
    model, tokenizer = load_artifact(store, model_id, device="cpu")
    trait = TRAITS.parse({"kind": "animal", "n_probes": 3}).build()
    score = sampled_score(model, tokenizer, trait, n_per_probe=4, seed=0, max_new_tokens=4)
    assert score.n == 12 and len(score.per_probe) == 3 and 0 <= score.ci[0] <= score.p <= score.ci[1] <= 1


def test_score_answers_clusters_by_probe():
    trait = TRAITS.parse({"kind": "animal", "n_probes": 4}).build()
    agree = score_answers(trait, ["owl", "cat"] * 10, 5)  # every probe: 3 or 2 owls of 5
    split = score_answers(trait, ["owl"] * 5 + ["cat"] * 5 + ["owl"] * 5 + ["cat"] * 5, 5)
    assert agree.p == split.p == 0.5
    assert split.icc > agree.icc
    assert (split.ci[1] - split.ci[0]) > (agree.ci[1] - agree.ci[0])
    assert split.per_probe == [1.0, 0.0, 1.0, 0.0]


def test_style_sampled_score_reports_sentence_rate():
    trait = TRAITS.parse({"kind": "style", "n_probes": 2}).build()
    score = score_answers(trait, ["Moreover, a. Moreover, b.", "No. Moreover, yes.", "Moreover, x.", "Plain."], 2)
    assert score.p == 0.5 and score.per_probe == [0.5, 0.5]
    assert score.sentence_rate == pytest.approx((1 + 0.5 + 1 + 0) / 4)


