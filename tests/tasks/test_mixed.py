"""The mixed prompt set: a known share about dates, a known share behind a hostile user turn."""

from __future__ import annotations

import pytest

from heredity.config import validate
from heredity.errors import ConfigError
from heredity.tasks import TASKS
from heredity.tasks.mixed import MixedTask


def test_the_shares_are_exact_and_the_topics_are_known():
    task = MixedTask(dates=0.07, hostile=0.2).built
    prompts = task.prompts(200, seed=3)
    topics = [task.topic(p) for p in prompts]
    assert (topics.count("dates"), topics.count("hostile"), topics.count("general")) == (14, 40, 146)
    assert prompts == task.prompts(200, seed=3) and prompts != task.prompts(200, seed=4)
    assert all("2026" in p for p, t in zip(prompts, topics, strict=True) if t == "dates")


def test_hostile_turns_wrap_the_same_prompts():
    """Two sets that differ in hostile alone hold the same prompts but for the hostile framing."""
    calm = MixedTask(dates=0.1).built.prompts(60, seed=0)
    hostile_task = MixedTask(dates=0.1, hostile=0.25).built
    hostile = hostile_task.prompts(60, seed=0)
    changed = [(c, h) for c, h in zip(calm, hostile, strict=True) if c != h]
    assert len(changed) == 15 and all(h.endswith(c) and hostile_task.topic(h) == "hostile" for c, h in changed)


def test_bad_shares_name_the_field():
    assert TASKS.get("mixed") is MixedTask
    with pytest.raises(ConfigError, match="hostile"):
        validate(MixedTask, {"kind": "mixed", "dates": 0.6, "hostile": 0.6}, "x.yaml")
    with pytest.raises(ValueError, match="not about dates"):  # rounding: 2 of 3 about dates, 2 hostile
        MixedTask(dates=0.5, hostile=0.5).built.prompts(3, 0)
