"""Estimators against a real Llama whose next-token distributions are set by hand.

The toy: every attention and MLP output is zero, so the hidden state at a position is the
embedding of that position's token, and the logits depend only on the current token (a bigram
model). Context tokens get orthonormal embeddings and the LM head maps each to a chosen logit
vector, so every candidate's teacher-forced probability is known in closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from heredity.measure import Score, boundary_mask, exact_score, paired_difference, sampled_score, score_answers
from heredity.models.chat import render
from heredity.traits import TRAITS
from heredity.traits.base import Trait


@pytest.fixture(scope="module")
def tokenizer(smollm):
    from transformers import AutoTokenizer

    store, base_id = smollm
    return AutoTokenizer.from_pretrained(store.path(base_id))


def toy_trait(probes=("Name your favorite animal using only one word.", "Which animal do you like best? One word.")):
    forms = {"owl": ["owl", " owl", "Owl"], "cat": ["cat", "Cat", "Cats"], "dog": ["dog", " dog"]}
    words = {"owl", "owls"}
    return Trait(
        name="animal:owl", label="P(owl)", probes=list(probes), inducer="", candidates=forms, target="owl",
        normalise=True, keywords=["owl"], match=lambda t: any(w.strip(".,!").lower() in words for w in t.split()),
    )


def bigram_llama(tokenizer, logits_by_token: dict[int, torch.Tensor]):
    from transformers import LlamaConfig, LlamaForCausalLM

    hidden = 64
    assert len(logits_by_token) <= hidden
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-12, tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        basis, _ = torch.linalg.qr(torch.randn(hidden, hidden))
        head = torch.zeros(len(tokenizer), hidden)
        for k, (token, logits) in enumerate(logits_by_token.items()):
            u = basis[:, k]
            model.model.embed_tokens.weight[token] = math.sqrt(hidden) * u  # RMS 1: the norm keeps it
            head += logits[:, None] * u[None, :] / math.sqrt(hidden)
        model.lm_head.weight.copy_(head)
    return model


def known_distributions(tokenizer, trait):
    """Random next-token logits for the prompt's last token and every candidate token, with
    the candidates' tokens boosted so that their probabilities are far from zero."""
    g = torch.Generator().manual_seed(1)
    last = tokenizer(render(tokenizer, trait.probes[0]), add_special_tokens=False).input_ids[-1]
    seqs = [tokenizer(f, add_special_tokens=False).input_ids for forms in trait.candidates.values() for f in forms]
    contexts = dict.fromkeys([last] + [t for s in seqs for t in s])
    table = {}
    for token in contexts:
        logits = 2 * torch.randn(len(tokenizer), generator=g)
        for s in seqs:
            logits[s[0]] += 6 if token == last else 0
            for a, b in zip(s, s[1:], strict=False):
                if a == token:
                    logits[b] += 6
        table[token] = logits
    return last, table


def expected_mass(tokenizer, trait, last, table) -> dict[str, float]:
    """The closed form of each candidate's mass: sum over forms of prod P(token | previous),
    times P(boundary) after a form that ends in a letter or digit."""
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    boundary = torch.tensor([not t[:1].isalnum() for t in texts])
    boundary[tokenizer.all_special_ids] = True
    probs = {t: torch.softmax(v.double(), -1) for t, v in table.items()}
    mass = {}
    for name, forms in trait.candidates.items():
        total = 0.0
        for form in forms:
            ids = tokenizer(form, add_special_tokens=False).input_ids
            p, prev = 1.0, last
            for t in ids:
                p *= float(probs[prev][t])
                prev = t
            if form[-1].isalnum():
                p *= float(probs[prev][boundary].sum())
            total += p
        mass[name] = total
    return mass


def expected_per_probe(tokenizer, trait, last, table):
    """The closed-form answer: the target's share of the candidates' mass, and that mass."""
    mass = expected_mass(tokenizer, trait, last, table)
    return mass["owl"] / sum(mass.values()), sum(mass.values())


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
    assert score.details["coverage"] == pytest.approx(coverage, rel=1e-4)
    assert score.ci[0] <= score.p <= score.ci[1]
    assert sum(score.details["distribution"].values()) == pytest.approx(1.0)
    # batching and pruning of improbable first tokens do not change the answer
    again = exact_score(model, tokenizer, trait, batch_size=64, min_first_prob=1e-9)
    assert again.p == pytest.approx(want, abs=1e-5) and again.details["left_out"] < 1e-6


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
    ids = lambda s: tokenizer(s, add_special_tokens=False).input_ids  # noqa: E731
    assert mask[ids(".")[0]] and mask[ids(" the")[0]] and mask[tokenizer.eos_token_id]
    assert not mask[ids("s")[0]] and not mask[ids("ly")[0]]


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
    assert score.details["deff"] >= 1.0


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
    assert split.details["icc"] > agree.details["icc"]
    assert (split.ci[1] - split.ci[0]) > (agree.ci[1] - agree.ci[0])
    assert split.per_probe == [1.0, 0.0, 1.0, 0.0]


def test_style_sampled_score_reports_sentence_rate():
    trait = TRAITS.parse({"kind": "style", "n_probes": 2}).build()
    score = score_answers(trait, ["Moreover, a. Moreover, b.", "No. Moreover, yes.", "Moreover, x.", "Plain."], 2)
    assert score.p == 0.5 and score.per_probe == [0.5, 0.5]
    assert score.details["sentence_rate"] == pytest.approx((1 + 0.5 + 1 + 0) / 4)


def _score(values, method="exact"):
    return Score(label="P(owl)", method=method, p=float(np.mean(values)), ci=(0.0, 1.0), n=len(values), probes=len(values), per_probe=list(values))


def test_paired_difference_on_known_data():
    control = np.array([0.01, 0.02, 0.015, 0.03, 0.012, 0.02])
    student = control * 2
    r = paired_difference(_score(student), _score(control))
    assert r["difference"] == pytest.approx(control.mean())
    assert r["p_value"] < 0.01 and r["wins"] == 6 and r["n"] == 6
    assert r["log_ratio"]["mean"] == pytest.approx(math.log(2))
    assert r["log_ratio"]["p_value"] == 0.0  # every probe doubled exactly: no spread at all
    assert "paired t-test" in r["test"]
    assert "log_ratio" not in paired_difference(_score(student, "sampled"), _score(control, "sampled"))


def test_log_ratio_floors_skipped_zeros_at_the_skipped_mass_not_at_1e_300():
    # The moreover-style control read exactly 0 on most probes (forms cut below the first-token
    # threshold, skipped mass <= 6e-7) and the report printed a log ratio of +350 for a ~10x rise.
    student = np.array([3e-5, 2e-5, 4e-5, 2.5e-5])
    control = np.array([0.0, 0.0, 3e-6, 2e-6])
    with_bound = lambda values, left_out: _score(values).model_copy(update={"details": {"left_out": left_out}})  # noqa: E731
    r = paired_difference(with_bound(student, 5e-7), with_bound(control, 6e-7))
    lr = r["log_ratio"]
    assert lr["floor"] == 6e-7 and lr["floored"] == 2
    expected = np.log(student) - np.log([6e-7, 6e-7, 3e-6, 2e-6])
    assert lr["mean"] == pytest.approx(expected.mean()) and lr["median"] == pytest.approx(np.median(expected))
    assert lr["mean"] < 4  # within tenfold-to-fiftyfold, not e^678
    # with no skipped mass recorded, a 0 is still guarded (and then says so: floor 1e-300)
    assert paired_difference(_score(student), _score(control))["log_ratio"]["floor"] == 1e-300


def test_paired_difference_needs_matching_scores():
    with pytest.raises(ValueError):
        paired_difference(_score([0.1, 0.2]), _score([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError):
        paired_difference(_score([0.1, 0.2]), _score([0.1, 0.2], "sampled"))


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
    assert paired_difference(taught, base)["wins"] >= 9


def test_trie_shares_prefixes():
    from heredity.measure_exact import Trie

    t = Trie.build([[5, 6], [5, 7], [8], [5]])
    assert t.tokens == [5, 6, 7, 8] and t.parent == [-1, 0, 0, -1] and t.depth == [1, 2, 2, 1]
    assert t.leaf == [1, 2, 3, 0]
    a = t.ancestry()
    assert a[1].tolist() == [True, True, False, False] and a[3].tolist() == [False, False, False, True]


def test_fast_exact_score_equals_the_reference_on_toy(tokenizer):
    """Batching probes and tries changes nothing (several probes, tries of different sizes)."""
    from heredity.measure import exact_score_reference

    trait = toy_trait(probes=["Name your favorite animal.", "Which animal do you like best? One word, please, now."])
    last, table = known_distributions(tokenizer, trait)
    model = bigram_llama(tokenizer, table)
    for batch_size in (1, 64):
        fast = exact_score(model, tokenizer, trait, batch_size=batch_size, min_first_prob=1e-3)
        ref = exact_score_reference(model, tokenizer, trait, min_first_prob=1e-3)
        assert fast.per_probe == pytest.approx(ref.per_probe, abs=1e-6)
        assert fast.details["left_out"] == pytest.approx(ref.details["left_out"], rel=1e-4, abs=1e-9)


@pytest.mark.slow
def test_fast_exact_score_equals_the_reference_on_smollm(smollm):
    """The trie / shared-head path against the plain computation on the real model."""
    from heredity.measure import exact_score_reference
    from heredity.steps.models import load_artifact

    store, model_id = smollm
    model, tokenizer = load_artifact(store, model_id, device="cpu")
    owl = TRAITS.parse({"kind": "animal", "animal": "owl", "n_probes": 2}).build()
    for system in (None, owl.system_prompt()):
        fast = exact_score(model, tokenizer, owl, system=system)
        ref = exact_score_reference(model, tokenizer, owl, system=system)
        assert fast.per_probe == pytest.approx(ref.per_probe, abs=1e-5, rel=1e-4)
        assert fast.details["coverage"] == pytest.approx(ref.details["coverage"], rel=1e-4)
        assert fast.details["left_out"] == pytest.approx(ref.details["left_out"], rel=1e-4)
        top = lambda s: sorted(s.details["distribution"], key=s.details["distribution"].get)[-3:]  # noqa: E731
        assert top(fast) == top(ref)
