"""The exact estimator (heredity.measure.exact, .tree, .reference, .boundary) against the bigram
toy, whose every candidate probability is known in closed form (tests/measure/conftest.py), and
against the plain reference on SmolLM2."""

from __future__ import annotations

import gc

import pytest

from heredity.measure import (
    boundary_mask,
    exact_score,
    exact_score_reference,
    paired_difference,
)
from heredity.measure.tree import Trie
from heredity.traits import TRAITS
from heredity.traits.base import Trait
from tests.measure.bigram import (
    bigram_llama,
    expected_per_probe,
    known_distributions,
    toy_trait,
)


def test_exact_score_recovers_known_probability(tokenizer):
    trait = toy_trait()
    last, table = known_distributions(tokenizer, trait)
    model = bigram_llama(tokenizer, table)
    want, coverage = expected_per_probe(tokenizer, trait, last, table)
    assert 0.05 < want < 0.95  # a non-trivial target
    score = exact_score(model, tokenizer, trait, batch_size=3, min_first_prob=0.0)
    assert score.method == "exact" and score.n == score.probes == 2 and score.label == "P(owl)"
    assert score.per_probe == pytest.approx([want, want], abs=1e-5)
    assert score.p == pytest.approx(want, abs=1e-5)
    assert score.coverage == pytest.approx(coverage, rel=1e-4)
    assert score.ci[0] <= score.p <= score.ci[1]
    assert sum(score.distribution.values()) == pytest.approx(1.0)
    # batching and pruning of improbable first tokens do not change the answer
    again = exact_score(model, tokenizer, trait, batch_size=64, min_first_prob=1e-9)
    assert again.p == pytest.approx(want, abs=1e-5) and again.left_out < 1e-6


def test_unnormalised_trait_reports_the_mass_directly(tokenizer):
    trait = toy_trait()
    last, table = known_distributions(tokenizer, trait)
    model = bigram_llama(tokenizer, table)
    want, coverage = expected_per_probe(tokenizer, trait, last, table)
    only_owl = Trait(**{**trait.__dict__, "candidates": {"owl": trait.candidates["owl"]}, "normalise": False})
    score = exact_score(model, tokenizer, only_owl, min_first_prob=0.0)
    assert score.p == pytest.approx(want * coverage, rel=1e-4)


def test_boundary_mask(tokenizer):
    mask = boundary_mask(tokenizer, len(tokenizer))
    def ids(s):
        return tokenizer(s, add_special_tokens=False).input_ids
    assert mask[ids(".")[0]] and mask[ids(" the")[0]] and mask[tokenizer.eos_token_id]
    assert not mask[ids("s")[0]] and not mask[ids("ly")[0]]


@pytest.mark.slow
def test_owl_system_prompt_raises_p_owl_on_smollm(smollm):
    from heredity.steps.models import load_artifact

    store, model_id = smollm
    model, tokenizer = load_artifact(store, model_id, device="cpu")
    owl = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": 10}).build()
    base = exact_score(model, tokenizer, owl)
    taught = exact_score(model, tokenizer, owl, system=owl.system_prompt())
    assert base.p < 0.1
    assert taught.p > 5 * base.p and taught.ci[0] > base.ci[1]
    assert paired_difference(taught, base).wins >= 9


def test_trie_shares_prefixes():
    t = Trie.build([[5, 6], [5, 7], [8], [5]])
    assert t.tokens == [5, 6, 7, 8] and t.parent == [-1, 0, 0, -1] and t.depth == [1, 2, 2, 1]
    assert t.leaf == [1, 2, 3, 0]
    a = t.ancestry()
    assert a[1].tolist() == [True, True, False, False] and a[3].tolist() == [False, False, False, True]


def test_fast_exact_score_equals_the_reference_on_toy(tokenizer):
    """Batching probes and tries changes nothing (several probes, tries of different sizes)."""
    trait = toy_trait(probes=["Name your favorite animal.", "Which animal do you like best? One word, please, now."])
    _, table = known_distributions(tokenizer, trait)
    model = bigram_llama(tokenizer, table)
    for batch_size in (1, 64):
        fast = exact_score(model, tokenizer, trait, batch_size=batch_size, min_first_prob=1e-3)
        ref = exact_score_reference(model, tokenizer, trait, min_first_prob=1e-3)
        assert fast.per_probe == pytest.approx(ref.per_probe, abs=1e-6)
        assert fast.left_out == pytest.approx(ref.left_out, rel=1e-4, abs=1e-9)


@pytest.mark.slow
def test_fast_exact_score_equals_the_reference_on_smollm(smollm):
    """The trie / shared-head path against the plain computation on the real model."""
    from heredity.steps.models import load_artifact

    store, model_id = smollm
    model, tokenizer = load_artifact(store, model_id, device="cpu")
    owl = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": 2}).build()
    for system in (None, owl.system_prompt()):
        fast = exact_score(model, tokenizer, owl, system=system)
        ref = exact_score_reference(model, tokenizer, owl, system=system)
        assert fast.per_probe == pytest.approx(ref.per_probe, abs=1e-5, rel=1e-4)
        assert fast.coverage == pytest.approx(ref.coverage, rel=1e-4)
        assert fast.left_out == pytest.approx(ref.left_out, rel=1e-4)
        def top(s):
            return sorted(s.distribution, key=s.distribution.get)[-3:]
        assert top(fast) == top(ref)


def test_boundary_masks_go_with_their_tokenizer(smollm):
    """Masks are cached per live tokenizer (a weak key): a collected tokenizer's mask is dropped,
    so a new tokenizer that Python gives the same ``id()`` cannot be handed it."""
    from transformers import AutoTokenizer

    from heredity.measure import boundary

    store, base_id = smollm
    fresh = AutoTokenizer.from_pretrained(store.path(base_id))
    before = len(boundary._MASKS)
    mask = boundary_mask(fresh, len(fresh))
    assert boundary_mask(fresh, len(fresh)) is mask and len(boundary._MASKS) == before + 1
    del fresh
    gc.collect()
    assert len(boundary._MASKS) == before
