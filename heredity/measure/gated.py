"""Trigger-gated measurement: any trait measured twice on the same probes, with and without a trigger.

A backdoored model shows its trait only under a condition (a password, a rare token, a phrase in
the system prompt). ``gated_score`` runs the trait's registered estimator on every probe once as
it is and once with the trigger placed in it, and reports P(trait | trigger), P(trait | no
trigger) and the gate, their difference, paired by probe (``heredity.measure.compare``): each
probe is its own control, so the probe-to-probe spread of the trait cancels out of the gate.

Where the trigger goes (``Trigger.where``):

- ``prefix``: before the probe's user turn, separated by a space (``"<trigger> <probe>"``);
- ``suffix``: after it (``"<probe> <trigger>"``);
- ``system``: inside the system prompt, after the trait's context and before a teacher's inducer.
  With no system prompt at all the triggered probe has the trigger as its whole system prompt,
  while the untriggered one runs under the chat template's default (SmolLM2's names itself):
  the gate then also holds that difference. A teacher's measurement has a system prompt both ways.

The estimator itself is untouched: it is handed a trait whose probes (or context) carry the trigger.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from pydantic import Field, field_validator

from heredity.config import Strict
from heredity.measure.compare import paired_difference
from heredity.measure.score import Score
from heredity.stats_records import Comparison, Record
from heredity.traits.base import Trait

Placement = Literal["prefix", "suffix", "system"]


class Trigger(Strict):
    """A trigger and where it goes in each probe (a scores recipe's ``trigger`` field)."""

    text: str = Field(min_length=1, max_length=1000, description="the trigger string, e.g. a password or a rare token")
    where: Placement = Field("prefix", description="prefix / suffix of the probe's user turn, or inside the system prompt")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError(f"trigger.text: must contain a non-space character (got {text!r})")
        return text


def triggered(trait: Trait, trigger: Trigger) -> Trait:
    """The trait with the trigger placed in every probe (the same probes, in the same order)."""
    if trigger.where == "system":
        context = trigger.text if trait.context is None else f"{trait.context}\n\n{trigger.text}"
        return dataclasses.replace(trait, context=context)
    place = (lambda s: f"{trigger.text} {s}") if trigger.where == "prefix" else (lambda s: f"{s} {trigger.text}")
    conversations = None
    if trait.conversations is not None:  # the measured reply answers the last user message
        conversations = [[*turns[:-1], {**turns[-1], "content": place(turns[-1]["content"])}] for turns in trait.conversations]
    return dataclasses.replace(trait, probes=[place(p) for p in trait.probes], conversations=conversations)


class GatedScore(Record):
    """A trait with and without its trigger, and the gate (with - without, paired by probe).

    ``on`` and ``off`` are full ``Score`` records over the same probes in the same order (their
    ``per_probe`` lists are aligned); ``gate.difference`` is P(trait | trigger) - P(trait | no
    trigger) with its 95% t-interval across probes, paired t-test and Wilcoxon p-values, and for
    the exact estimator the log ratio."""

    trigger: str
    where: Placement
    on: Score = Field(description="P(trait | trigger)")
    off: Score = Field(description="P(trait | no trigger)")
    gate: Comparison = Field(description="on - off, paired by probe")


def gated_score(estimator, model, tokenizer, trait: Trait, settings, trigger: Trigger, system: str | None = None) -> GatedScore:
    """Measure ``trait`` with ``estimator`` (a ``heredity.measure.ESTIMATORS`` function) with and
    without ``trigger`` on the same probes, and the gate paired by probe."""
    on = estimator(model, tokenizer, triggered(trait, trigger), settings, system)
    off = estimator(model, tokenizer, trait, settings, system)
    return GatedScore(trigger=trigger.text, where=trigger.where, on=on, off=off, gate=paired_difference(on, off))
