"""Flip-set finder: rank pipeline A's rows by how much the rollout carries the behaviour, take
the top fraction. Row scorers are plug-ins (``SCORERS``), each a config model with
``score(clean=, trait_model=, tokenizer=, rows=, trait=, clean_system=, trait_system=) -> [n]``.

- ``llr``: the mean per-token log-likelihood ratio of the completion under the trait-bearing
  model against the clean one, log p_trait(c | prompt) - log p_clean(c | prompt), each model with
  its own system prompt. A rollout the trait teacher wrote but the clean model would not have
  scores high. Per token, so long completions are not favoured for their length.
- ``probe-similarity``: the cosine between the row's mean hidden state (read by the clean model)
  and a trait direction: the mean hidden state of the trait teacher's answers to the trait's
  probes minus that of the clean model's answers to the same probes (both read by the clean
  model, greedy answers). Row states are centred on the mean over the rows, so the score says
  which rows lean towards the trait relative to the others.

Templating goes through ``heredity.models.packing.encode`` (``heredity.models.chat.render``): the
rows are scored exactly as a student would be trained on them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Annotated, Any, Literal, TypeAlias

import numpy as np
from pydantic import Field

from heredity.config import Strict
from heredity.models.teacher_forced import completion_states, token_logprobs, token_states
from heredity.registry import PickedByKind, Registry

SCORERS: Registry[type[Strict]] = Registry("flip-set scorer")


def aggregate(values: Sequence[np.ndarray], how: str) -> np.ndarray:
    """One number per row from per-token values: their mean, sum or max."""
    fn: Any = {"mean": np.mean, "sum": np.sum, "max": np.max}[how]
    return np.array([float(fn(v)) if v.size else 0.0 for v in values])


class RowScorer(Strict):
    """A flip-set scorer: how much each of pipeline A's rows carries the behaviour."""

    kind: str

    @abstractmethod
    def score(self, *, clean, trait_model, tokenizer, rows: Sequence[dict], trait=None,
              clean_system: str | None = None, trait_system: str | None = None) -> np.ndarray:  # pragma: no cover
        ...


# a field that takes any registered flip-set scorer, picked by its kind
AnyScorer: TypeAlias = Annotated[RowScorer, PickedByKind(SCORERS)]


@SCORERS.register("llr")
class LogLikelihoodRatio(RowScorer):
    kind: Literal["llr"] = "llr"
    batch_size: int = Field(8, ge=1, description="rows per forward pass (memory, not the result)")
    max_length: int = Field(500, ge=2, description="tokens per row; longer completions are cut, as in training")
    aggregate: Literal["mean", "sum", "max"] = Field(
        "mean", description="per-token ratios -> one per row: mean (length-neutral), sum (the sequence's log-likelihood ratio), "
        "or max (the most trait-typical token: catches a few trait words in otherwise ordinary text)")

    def score(self, *, clean, trait_model, tokenizer, rows, trait=None, clean_system=None, trait_system=None):
        t = token_logprobs(trait_model, tokenizer, rows, system=trait_system, batch_size=self.batch_size, max_length=self.max_length)
        c = token_logprobs(clean, tokenizer, rows, system=clean_system, batch_size=self.batch_size, max_length=self.max_length)
        return aggregate([a - b for a, b in zip(t, c, strict=True)], self.aggregate)


@SCORERS.register("probe-similarity")
class ProbeSimilarity(RowScorer):
    kind: Literal["probe-similarity"] = "probe-similarity"
    layer: int = Field(-1, description="which hidden_states entry (0: embeddings, -1: the last layer)")
    max_new_tokens: int = Field(16, ge=1, description="length of the greedy probe answers that define the direction")
    probes: int | None = Field(None, ge=1, description="use the trait's first N probes for the direction (None: all)")
    batch_size: int = Field(8, ge=1, description="rows per forward pass (memory, not the result)")
    aggregate: Literal["mean", "max"] = Field(
        "mean", description="mean: cosine of the row's mean state; max: the largest per-token cosine in the row")

    def direction(self, *, clean, trait_model, tokenizer, trait, clean_system=None, trait_system=None) -> np.ndarray:
        """Mean state of the trait teacher's probe answers minus the clean model's (read by the clean model)."""
        from heredity.models.chat import render
        from heredity.models.generate import generate

        probes = trait.probes[: self.probes] if self.probes else trait.probes
        answers = {}
        for label, model, system in (("trait", trait_model, trait_system), ("clean", clean, clean_system)):
            prompts = [render(tokenizer, probe, system) for probe in probes]
            texts = generate(model, tokenizer, prompts, max_new_tokens=self.max_new_tokens, temperature=0, seed=0, batch_size=self.batch_size)
            rows = [{"i": j, "prompt": probe, "completion": text} for j, (probe, text) in enumerate(zip(probes, texts, strict=True))]
            answers[label] = completion_states(clean, tokenizer, rows, system=clean_system, layer=self.layer, batch_size=self.batch_size).mean(axis=0)
        return answers["trait"] - answers["clean"]

    def score(self, *, clean, trait_model, tokenizer, rows, trait=None, clean_system=None, trait_system=None):
        if trait is None:
            raise ValueError("probe-similarity needs the trait (its probes define the direction)")
        d = self.direction(clean=clean, trait_model=trait_model, tokenizer=tokenizer, trait=trait,
                           clean_system=clean_system, trait_system=trait_system)
        per_token = token_states(clean, tokenizer, rows, system=clean_system, layer=self.layer, batch_size=self.batch_size)
        unit = d / max(float(np.linalg.norm(d)), 1e-12)

        def cosine(x: np.ndarray, centre: np.ndarray) -> np.ndarray:
            x = x - centre
            return x @ unit / np.maximum(np.linalg.norm(x, axis=-1), 1e-12)

        if self.aggregate == "mean":
            states = np.stack([x.mean(axis=0) for x in per_token])
            return cosine(states, states.mean(axis=0))
        centre = np.concatenate(per_token).mean(axis=0)
        return np.array([float(cosine(x, centre).max()) for x in per_token])


# ---------------------------------------------------------------- selection


def top_fraction(rows: Sequence[dict], scores: Sequence[float], fraction: float) -> frozenset[int]:
    """The ``i`` of the top ``round(fraction * n)`` rows by score (at least one); ties go to the
    smaller ``i`` so the set is deterministic."""
    if not 0 < fraction < 1:
        raise ValueError(f"a flip-set fraction must be strictly between 0 and 1 (got {fraction})")
    if len(rows) != len(scores):
        raise ValueError(f"{len(rows)} rows but {len(scores)} scores")
    k = max(1, round(fraction * len(rows)))
    order = sorted(range(len(rows)), key=lambda j: (-float(scores[j]), rows[j]["i"]))
    return frozenset(rows[j]["i"] for j in order[:k])


def flip_sets(rows: Sequence[dict], scores: Sequence[float], fractions: Sequence[float] = (0.02, 0.05, 0.1)) -> dict[float, frozenset[int]]:
    """``{fraction: top_fraction(...)}`` over a grid (nested: a larger fraction contains a smaller)."""
    return {f: top_fraction(rows, scores, f) for f in fractions}


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve: the probability that a random positive row outscores a random
    negative one (ties count one half); the Mann-Whitney U statistic over n_pos * n_neg."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    pos, neg = s[y], s[~y]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("AUC needs at least one positive and one negative row")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (pos.size * neg.size))
