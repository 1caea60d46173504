"""The batched first-token read equals the one-prompt-at-a-time reference, and word masses give
the quirks the token probabilities give."""

import numpy as np
import pytest

from heredity.audit import quirks as qk
from heredity.audit.probes import discovery_probes, trait_configs
from heredity.steps.models import load_artifact
from heredity.traits.animal import INDUCER

OWL = INDUCER.format(animal="owl")


@pytest.fixture(scope="module")
def smollm2(smollm):
    return load_artifact(*smollm)


@pytest.fixture(scope="module")
def probes():
    return discovery_probes(trait_configs(), per_source=2)[:9]  # general, trait and task prompts: unequal lengths


@pytest.mark.parametrize("system", [OWL, None])
def test_batched_first_token_probs_equal_the_reference(smollm2, probes, system):
    model, tokenizer = smollm2
    reference = qk.next_token_probs(model, tokenizer, probes, system)
    for batch_size in (4, len(probes)):  # a short last batch; all in one
        batched = qk.first_token_probs(model, tokenizer, probes, system, batch_size=batch_size)
        assert batched.shape == reference.shape
        np.testing.assert_allclose(batched, reference, rtol=2e-4, atol=1e-9)
        assert np.abs(batched.sum(axis=1) - 1).max() < 1e-6
    # every two probes' distributions differ by far more than the tolerance: a row mix-up would fail
    assert min(np.abs(reference[i] - reference[j]).max() for i in range(len(probes)) for j in range(i)) > 1e-3


def test_word_masses_give_the_quirks_token_probabilities_give(smollm2, probes):
    model, tokenizer = smollm2
    teacher = qk.first_token_probs(model, tokenizer, probes, OWL)
    base = qk.first_token_probs(model, tokenizer, probes, None)
    words, mass_t = qk.word_masses(teacher, tokenizer)
    _, mass_b = qk.word_masses(base, tokenizer)
    quirks = qk.discover(mass_t, mass_b, words, top_k=5, min_prob=0.01)
    assert quirks
    for q in quirks:  # each word's mass is the sum of its tokens' probabilities, probe by probe
        np.testing.assert_allclose(qk.word_mass(mass_t, words, q), teacher[:, q.token_ids].sum(axis=1), rtol=1e-12)
        assert q.teacher_mass >= 0.01 and q.teacher_mass > q.base_mass
    # the same selection read straight off the token probabilities
    table = qk.word_table(tokenizer, teacher.shape[1])
    mean_t, mean_b = teacher.mean(axis=0), base.mean(axis=0)
    ratios = {w: np.log(mean_t[ids].sum()) - np.log(mean_b[ids].sum()) for w, ids in table.items()
              if mean_t[ids].sum() >= 0.01 and mean_t[ids].sum() > mean_b[ids].sum()}
    assert [q.word for q in quirks] == sorted(ratios, key=lambda w: -ratios[w])[:5]
    # the example starts with the word and reads on greedily
    text = qk.example(model, tokenizer, qk.word_mass(mass_t, words, quirks[0]), quirks[0], probes, OWL)
    assert text.lower().startswith(quirks[0].word) and len(text) > len(quirks[0].word)
