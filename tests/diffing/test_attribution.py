"""Attribution maths against hand-computed cases (no models)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heredity.diffing import attribution as at
from heredity.diffing import design


def means_from(k: int, f: dict[frozenset, float]) -> np.ndarray:
    """(2,)*k cell means from v(S) given as {frozenset of factor indices at B: value}."""
    out = np.empty((2,) * k)
    for levels in itertools.product((0, 1), repeat=k):
        out[levels] = f[frozenset(j for j in range(k) if levels[j])]
    return out


def S(*xs):
    return frozenset(xs)


TWO = means_from(2, {S(): 0.1, S(0): 0.3, S(1): 0.2, S(0, 1): 0.6})
# v: none 0, {1} .1, {2} .2, {3} 0, {12} .5, {13} .1, {23} .2, all .9 (factors 0-indexed below)
THREE = means_from(3, {S(): 0.0, S(0): 0.1, S(1): 0.2, S(2): 0.0, S(0, 1): 0.5, S(0, 2): 0.1, S(1, 2): 0.2, S(0, 1, 2): 0.9})


def test_two_factors_by_hand():
    # base: 1/2[(.3-.1) + (.6-.2)] = .3; teacher: 1/2[(.2-.1) + (.6-.3)] = .2; gap .5
    np.testing.assert_allclose(at.shapley(TWO, 2), [0.3, 0.2])
    c = at.contrasts(TWO, 2)
    np.testing.assert_allclose([c[(0,)], c[(1,)], c[(0, 1)]], [0.3, 0.2, 0.2])  # main effects, interaction
    d = at.dividends(TWO, 2)
    np.testing.assert_allclose([d[(0,)], d[(1,)], d[(0, 1)]], [0.2, 0.1, 0.2])  # simple effects from A


def test_three_factors_by_hand():
    # dividends: m1=.1 m2=.2 m3=0 m12=.2 m13=0 m23=0 m123=.4
    d = at.dividends(THREE, 3)
    expected = {(0,): 0.1, (1,): 0.2, (2,): 0.0, (0, 1): 0.2, (0, 2): 0.0, (1, 2): 0.0, (0, 1, 2): 0.4}
    for t, v in expected.items():
        assert d[t] == pytest.approx(v)
    # shares: .1 + .2/2 + .4/3 = 1/3; .2 + .2/2 + .4/3 = 13/30; .4/3 = 2/15 (sum .9 = the gap)
    np.testing.assert_allclose(at.shapley(THREE, 3), [1 / 3, 13 / 30, 2 / 15])


def test_pure_interaction_has_zero_main_effects_and_zero_shares():
    # A and B both 0.5; swapping either factor alone drops to 0: only the interaction is non-zero.
    f = means_from(2, {S(): 0.5, S(0): 0.0, S(1): 0.0, S(0, 1): 0.5})
    c = at.contrasts(f, 2)
    assert c[(0,)] == pytest.approx(0) and c[(1,)] == pytest.approx(0)
    assert c[(0, 1)] == pytest.approx(1.0)
    np.testing.assert_allclose(at.shapley(f, 2), [0, 0], atol=1e-12)
    # and attribute() reports the interaction beside the (zero) shares
    values = np.broadcast_to(f[..., None, None], (2, 2, 1, 8)) + np.linspace(-0.01, 0.01, 8)
    out = at.attribute(["base", "teacher"], values, draws=200)
    assert out.attribution.interactions["base:teacher"].estimate == pytest.approx(1.0)
    assert out.attribution.main_effects["base"].estimate == pytest.approx(0, abs=1e-9)
    assert out.gap.value == pytest.approx(0, abs=1e-12)


def random_means(k, data):
    return np.asarray(data.draw(st.lists(st.floats(-5, 5), min_size=2**k, max_size=2**k))).reshape((2,) * k)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.data())
def test_shares_sum_to_gap_and_follow_the_dividend_identity(k, data):
    f = random_means(k, data)
    phi = at.shapley(f, k)
    assert phi.sum() == pytest.approx(f[(1,) * k] - f[(0,) * k], abs=1e-9)
    d = at.dividends(f, k)
    for i in range(k):  # share_i = simple effect + 1/2 each two-way + 1/3 the three-way ... containing i
        assert phi[i] == pytest.approx(sum(v / len(t) for t, v in d.items() if i in t), abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 3), st.data())
def test_linear_model_coefficients_are_the_effect_coded_contrasts(k, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    values = rng.normal(size=(2,) * k + (2, 5))
    fitted = at.linear_effects(design.FACTORS[:k], values)
    c = at.contrasts(values.mean(axis=(-2, -1)), k)
    for t, v in c.items():
        assert fitted[at.term_name(design.FACTORS[:k], t)]["estimate"] == pytest.approx(v, abs=1e-9)


def planted(k=3, seeds=3, probes=24, cause=1, size=0.4, seed=0):
    """Scores where only factor ``cause`` moves the score (pipeline A has the trait)."""
    rng = np.random.default_rng(seed)
    probe_effect = rng.normal(0, 0.05, size=probes)
    seed_effect = rng.normal(0, 0.02, size=seeds)
    values = np.empty((2,) * k + (seeds, probes))
    for levels in itertools.product((0, 1), repeat=k):
        base = 0.05 + (size if levels[cause] == 0 else 0.0)
        values[levels] = base + probe_effect[None, :] + seed_effect[:, None] + rng.normal(0, 0.03, size=(seeds, probes))
    return values


def test_planted_cause_gets_the_whole_gap():
    factors = ["base", "prompts", "teacher"]
    out = at.attribute(factors, planted(cause=2), draws=1000)
    teacher = out.attribution.shapley["teacher"]
    assert 0.9 < teacher.fraction < 1.1
    assert teacher.ci[1] < 0  # the A->B gap is negative (B lacks the trait): CI excludes 0
    assert teacher.fraction_ci[0] > 0.8
    for other in ("base", "prompts"):
        lo, hi = out.attribution.shapley[other].ci
        assert lo < 0 < hi
    assert sum(s.share for s in out.attribution.shapley.values()) == pytest.approx(out.gap.value)
    # the path view: the teacher step carries the change, the others' step CIs include 0
    steps = {s.swapped: s for s in out.path}
    assert steps["teacher"].change.ci[1] < 0
    assert steps["base"].change.ci[0] < 0 < steps["base"].change.ci[1]
    assert [c.factors for c in out.cells] == design.cells(factors)
    assert out.cells[0].score.n == 24 and out.cells[0].score.seeds == 3


def test_bootstrap_resamples_seeds_as_well_as_probes():
    # Every probe gives the same score within a seed; only the seeds differ. A bootstrap over
    # probes alone would give a zero-width interval.
    k, seeds, probes = 2, 4, 10
    values = np.zeros((2,) * k + (seeds, probes))
    values[0, 0] = np.array([0.2, 0.5, 0.3, 0.6])[:, None]
    out = at.attribute(["base", "teacher"], values, draws=500)
    lo, hi = out.gap.ci
    assert hi - lo > 0.1


def test_logistic_glm_recovers_log_odds_effects():
    rng = np.random.default_rng(1)
    trials = 200
    logit = np.zeros((2, 2, 1, 12))
    logit[1, :] += 1.0  # base main effect 1.0 log-odds (B - A)
    logit[:, 1] -= 0.5
    p = 1 / (1 + np.exp(-(logit - 1.0)))
    successes = rng.binomial(trials, p)
    out = at.attribute(["base", "teacher"], successes / trials, successes=successes, trials=trials, draws=200)
    assert out.attribution.main_effects["base"].estimate == pytest.approx(1.0, abs=0.15)
    assert out.attribution.main_effects["teacher"].estimate == pytest.approx(-0.5, abs=0.15)
    assert out.attribution.main_effects["base"].scale == "log-odds"
    assert out.attribution.effects_model.startswith("logistic")
    lo, hi = out.attribution.interactions["base:teacher"].ci
    assert lo < 0 < hi


def test_logistic_glm_refuses_a_cell_without_successes():
    successes = np.ones((2, 2, 1, 4))
    successes[1, 1] = 0
    with pytest.raises(ValueError, match="base=B,teacher=B has 0 of 40 successes"):
        at.logistic_effects(["base", "teacher"], successes, 10)


def test_attribute_falls_back_to_the_linear_model_when_a_cell_has_no_success_and_says_why():
    successes = np.ones((2, 2, 1, 4))
    successes[1, 1] = 0
    out = at.attribute(["base", "teacher"], successes / 10, successes=successes, trials=10, draws=200)
    assert out.attribution.main_effects["base"].scale == "score"
    assert out.attribution.effects_model.startswith("linear") and "base=B,teacher=B has 0 of 40 successes" in out.attribution.effects_model
    # the same numbers as the linear model asked for directly
    assert out.attribution.main_effects == at.attribute(["base", "teacher"], successes / 10, draws=200).attribution.main_effects


def test_sampled_diffing_runs_hand_the_counts_to_the_logistic_glm():
    from types import SimpleNamespace

    from heredity.experiments.diffing.run import sampled_counts

    rates = np.array([0.25, 0.5, 0.75]).reshape(1, 3)
    sampled = SimpleNamespace(measure=SimpleNamespace(estimator="sampled", samples_per_probe=4))
    counts = sampled_counts(sampled, rates)
    assert counts["trials"] == 4 and counts["successes"].tolist() == [[1.0, 2.0, 3.0]]
    assert sampled_counts(SimpleNamespace(measure=SimpleNamespace(estimator="exact")), rates) == {}
    with pytest.raises(ValueError, match="not counts out of samples_per_probe = 4"):
        sampled_counts(sampled, rates + 0.1)


def test_grid_checks_cells():
    per_cell = {("A",): [[0.1, 0.2]], ("B",): [0.3, 0.4]}
    values = at.grid(["teacher"], per_cell)
    assert values.shape == (2, 1, 2)
    from heredity.measure import Score

    scores = [Score(label="s", method="exact", p=0.15, ci=(0, 1), n=2, probes=2, per_probe=[0.1, 0.2])] * 3
    assert at.grid(["teacher"], {("A",): scores, ("B",): scores}).shape == (2, 3, 2)
    with pytest.raises(ValueError, match="cell teacher=B has no scores"):
        at.grid(["teacher"], {("A",): [0.1]})
    with pytest.raises(ValueError, match="same seeds and probes"):
        at.grid(["teacher"], {("A",): [0.1, 0.2], ("B",): [0.3]})
