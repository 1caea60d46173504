"""Open-ended quirk discovery: which first answer words the teacher makes more likely than its base.

On every discovery probe, each model's next-token distribution at the start of the assistant's
reply is read off one forward pass (the teacher under its system prompt, every other model
under none). Tokens are grouped into words by their decoded text, lower-cased and stripped
(" Owl", "Owl" and "owl" are one word); a word's per-probe value is the probability that the
reply's first token is one of its tokens. The teacher's quirks are the words with the largest
log ratio log(mean over probes of P_teacher) - log(mean of P_base), among words the teacher
gives at least ``min_prob`` on average. Selecting on teacher and base only keeps the student
- control test that follows valid (neither model was looked at to choose the words).

``first_token_probs`` reads the distributions in batches over the prompts' shared head (the
chat template and system prompt run once), the LM head on each prompt's last position only;
``next_token_probs`` is the plain one-prompt-at-a-time reference it is tested against. Word
masses (``word_masses``) are what an audit stores per model (``heredity.audit.readings``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from heredity.models.chat import render

# Word tables per live tokenizer, {tokenizer: {vocab_size: table}}: a weak key goes with its
# tokenizer (an audit loads one per model; an id() key could hand a new one a collected one's table).
_WORDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Quirk:
    word: str
    token_ids: list[int]
    teacher_mass: float  # mean over probes of P(first token in the word), teacher
    base_mass: float
    log_ratio: float


def next_token_probs(model, tokenizer, prompts: list[str], system: str | None = None):
    """[n prompts, V] float64: P(first reply token | rendered prompt), one forward pass each."""
    import torch

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    rows = []
    try:
        with torch.inference_mode():
            for prompt in prompts:
                ids = tokenizer(render(tokenizer, prompt, system), add_special_tokens=False, return_tensors="pt").input_ids.to(device)
                rows.append(torch.softmax(model(input_ids=ids).logits[0, -1].double(), dim=-1).cpu())
    finally:
        model.train(was_training)
    return torch.stack(rows).numpy()


def first_token_probs(model, tokenizer, prompts: list[str], system: str | None = None, batch_size: int = 16,
                      progress=None):
    """``next_token_probs``, batched: [n prompts, V] float64, equal to it up to float32 summation
    order. The rendered prompts' common token prefix (chat template, system prompt) runs once;
    each batch of ``batch_size`` prompts runs only its own tokens, right-padded, over that
    prefix's keys/values (a 4D mask: a token sees the prefix and its own earlier tokens); the
    LM head runs on each prompt's last real position only. ``progress(n)``: per batch."""
    import torch

    from heredity.models.bodyhead import BodyHead
    from heredity.models.generate import shared_prefix_length
    from heredity.models.kvcache import roomy_cache

    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    ids = [tokenizer(render(tokenizer, p, system), add_special_tokens=False).input_ids for p in prompts]
    shared = shared_prefix_length(ids)
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.inference_mode():
            nets = BodyHead(model, device)
            prefix_kv: list = []
            if shared:
                cache = roomy_cache(0)
                causal = torch.ones(1, shared, shared, dtype=torch.bool).tril()
                nets.hidden(input_ids=torch.tensor([ids[0][:shared]], device=device), past_key_values=cache, use_cache=True,
                            attention_mask=_additive(causal, dtype, device))
                prefix_kv = [(layer.keys, layer.values) for layer in cache.layers]  # type: ignore[union-attr]  # attention layers; no linear attention here
            head = nets.head()
            for lo in range(0, len(ids), max(1, batch_size)):
                own = [x[shared:] for x in ids[lo : lo + batch_size]]
                lens = torch.tensor([len(x) for x in own])
                B, L = len(own), int(lens.max())
                tokens = torch.zeros((B, L), dtype=torch.long)
                for r, x in enumerate(own):
                    tokens[r, : len(x)] = torch.tensor(x)
                real = torch.arange(L)[None, :] < lens[:, None]
                causal = torch.ones(L, L, dtype=torch.bool).tril()
                allow = torch.cat([torch.ones(B, L, shared, dtype=torch.bool), causal[None] & real[:, None, :]], dim=2)
                hidden = nets.hidden(
                    input_ids=tokens.to(device), position_ids=(shared + torch.arange(L))[None].expand(B, -1).to(device),
                    attention_mask=_additive(allow, dtype, device), past_key_values=roomy_cache(0, prefix_kv, batch=B),
                    use_cache=True,
                )
                last = hidden[torch.arange(B, device=device), (lens - 1).to(device)]
                out.append(torch.softmax(head(last).double(), dim=-1).cpu())
                if progress:
                    progress(B)
    finally:
        model.train(was_training)
    return torch.cat(out).numpy()


def _additive(allow, dtype, device):
    """[B, 1, T, K] additive attention mask (0 / most negative) from a [B, T, K] bool "may attend"."""
    import torch

    return torch.zeros(allow.shape, dtype=dtype).masked_fill_(~allow, torch.finfo(dtype).min)[:, None].to(device)


def word_table(tokenizer, vocab_size: int) -> dict[str, list[int]]:
    """word -> token ids whose decoded text, stripped and lower-cased, is that word (words
    without a letter or digit are left out: punctuation and whitespace are not quirks)."""
    tables = _WORDS.setdefault(tokenizer, {})
    if vocab_size not in tables:
        n = min(len(tokenizer), vocab_size)
        texts = tokenizer.batch_decode([[i] for i in range(n)])
        special = set(tokenizer.all_special_ids)
        table: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            word = text.strip().lower()
            if i not in special and any(ch.isalnum() for ch in word):
                table.setdefault(word, []).append(i)
        tables[vocab_size] = table
    return tables[vocab_size]


def word_masses(probs, tokenizer) -> tuple[list[tuple[str, list[int]]], np.ndarray]:
    """(the words with their token ids, [n probes, words] float64: per probe, the probability
    that the reply's first token is one of the word's tokens)."""
    table = list(word_table(tokenizer, probs.shape[1]).items())
    owner = np.full(probs.shape[1], -1)
    for w, (_, ids) in enumerate(table):
        owner[ids] = w
    mass = np.zeros((probs.shape[0], len(table)))
    keep = owner >= 0
    for r in range(probs.shape[0]):  # per row: a [V] scatter-add, not an [n, V] temporary
        mass[r] = np.bincount(owner[keep], weights=probs[r, keep], minlength=len(table))
    return table, mass


def discover(teacher_mass, base_mass, words: list[tuple[str, list[int]]], top_k: int = 5, min_prob: float = 1e-3) -> list[Quirk]:
    """The ``top_k`` words the teacher raises most over its base (largest log ratio of mean
    first-token mass, teacher mass >= ``min_prob``, ratio > 0). ``*_mass``: ``word_masses``."""
    mean_t, mean_b = np.asarray(teacher_mass).mean(axis=0), np.asarray(base_mass).mean(axis=0)
    quirks = []
    for w, (word, ids) in enumerate(words):
        t, b = float(mean_t[w]), float(mean_b[w])
        if t >= min_prob and t > b:
            quirks.append(Quirk(word, ids, t, b, float(np.log(t) - np.log(max(b, 1e-300)))))
    quirks.sort(key=lambda q: -q.log_ratio)
    return quirks[:top_k]


def word_mass(mass, words: list[tuple[str, list[int]]], quirk: Quirk) -> list[float]:
    """Per probe: P(the reply's first token is one of the quirk's tokens), from ``word_masses``."""
    column = next(w for w, (word, _) in enumerate(words) if word == quirk.word)
    return np.asarray(mass)[:, column].astype(float).tolist()


def example(model, tokenizer, mass: list[float], quirk: Quirk, prompts: list[str], system: str | None, extra_tokens: int = 4) -> str:
    """What the quirk reads like: on the probe where the teacher gives the word most mass
    (``mass``: the teacher's per-probe mass of the word), the word's most likely token there,
    extended greedily by ``extra_tokens`` tokens (one cached forward per token)."""
    import torch

    prompt = prompts[int(np.argmax(mass))]
    device = next(model.parameters()).device
    ids = tokenizer(render(tokenizer, prompt, system), add_special_tokens=False, return_tensors="pt").input_ids.to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
            token = quirk.token_ids[int(out.logits[0, -1, quirk.token_ids].argmax())]
            text = [token]
            for _ in range(extra_tokens):
                out = model(input_ids=torch.tensor([[token]], device=device), past_key_values=out.past_key_values, use_cache=True)
                token = int(out.logits[0, -1].argmax())
                if token in tokenizer.all_special_ids:
                    break
                text.append(token)
    finally:
        model.train(was_training)
    return tokenizer.decode(text).strip()
