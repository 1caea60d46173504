"""Open-ended quirk discovery: which first answer words the teacher makes more likely than its base.

On every discovery probe, each model's next-token distribution at the start of the assistant's
reply is read off one forward pass (the teacher under its system prompt, every other model
under none). Tokens are grouped into words by their decoded text, lower-cased and stripped
(" Owl", "Owl" and "owl" are one word); a word's per-probe value is the probability that the
reply's first token is one of its tokens. The teacher's quirks are the words with the largest
log ratio log(mean over probes of P_teacher) - log(mean of P_base), among words the teacher
gives at least ``min_prob`` on average. Selecting on teacher and base only keeps the student
- control test that follows valid (neither model was looked at to choose the words).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heredity.models.chat import render

_WORDS: dict[int, tuple[list[str], dict[str, list[int]]]] = {}


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


def word_table(tokenizer, vocab_size: int) -> dict[str, list[int]]:
    """word -> token ids whose decoded text, stripped and lower-cased, is that word (words
    without a letter or digit are left out: punctuation and whitespace are not quirks)."""
    key = id(tokenizer)
    if key not in _WORDS or len(_WORDS[key][0]) != vocab_size:
        n = min(len(tokenizer), vocab_size)
        texts = tokenizer.batch_decode([[i] for i in range(n)]) + [""] * (vocab_size - n)
        special = set(tokenizer.all_special_ids)
        table: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            word = text.strip().lower()
            if i not in special and any(ch.isalnum() for ch in word):
                table.setdefault(word, []).append(i)
        _WORDS[key] = (texts, table)
    return _WORDS[key][1]


def discover(teacher_probs, base_probs, tokenizer, top_k: int = 5, min_prob: float = 1e-3) -> list[Quirk]:
    """The ``top_k`` words the teacher raises most over its base (largest log ratio of mean
    first-token mass, teacher mass >= ``min_prob``, ratio > 0)."""
    table = word_table(tokenizer, teacher_probs.shape[1])
    mean_t, mean_b = teacher_probs.mean(axis=0), base_probs.mean(axis=0)
    quirks = []
    for word, ids in table.items():
        t, b = float(mean_t[ids].sum()), float(mean_b[ids].sum())
        if t >= min_prob and t > b:
            quirks.append(Quirk(word, ids, t, b, float(np.log(t) - np.log(max(b, 1e-300)))))
    quirks.sort(key=lambda q: -q.log_ratio)
    return quirks[:top_k]


def word_mass(probs, quirk: Quirk) -> list[float]:
    """Per probe: P(the reply's first token is one of the quirk's tokens)."""
    return probs[:, quirk.token_ids].sum(axis=1).tolist()


def example(model, tokenizer, probs, quirk: Quirk, prompts: list[str], system: str | None, extra_tokens: int = 4) -> str:
    """What the quirk reads like: on the probe where the teacher gives the word most mass, its
    most likely token of the word, extended greedily by ``extra_tokens`` tokens."""
    import torch

    row = int(probs[:, quirk.token_ids].sum(axis=1).argmax())
    first = quirk.token_ids[int(probs[row, quirk.token_ids].argmax())]
    device = next(model.parameters()).device
    ids = tokenizer(render(tokenizer, prompts[row], system), add_special_tokens=False, return_tensors="pt").input_ids.to(device)
    ids = torch.cat([ids, torch.tensor([[first]], device=device)], dim=1)
    start = ids.shape[1] - 1
    with torch.inference_mode():
        for _ in range(extra_tokens):
            nxt = model(input_ids=ids).logits[0, -1].argmax()
            if int(nxt) in tokenizer.all_special_ids:
                break
            ids = torch.cat([ids, nxt.view(1, 1)], dim=1)
    return tokenizer.decode(ids[0, start:]).strip()
