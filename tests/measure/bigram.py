"""The toy the estimator tests share: a real Llama whose next-token distributions are set by hand.

Every attention and MLP output is zero, so the hidden state at a position is the embedding of
that position's token, and the logits depend only on the current token (a bigram model). Context
tokens get orthonormal embeddings and the LM head maps each to a chosen logit vector, so every
candidate's teacher-forced probability is known in closed form.
"""

from __future__ import annotations

import itertools
import math

import torch

from heredity.models.chat import render
from heredity.traits.base import Trait


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
            for a, b in itertools.pairwise(s):
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
