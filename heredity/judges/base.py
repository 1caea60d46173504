"""The judge interface, the rubric a judge scores on, and a judge's agreement with labels.

A ``Rubric`` is shipped with a trait (``heredity/traits/data/<trait>.json``): a question, a
numeric scale, a decision threshold, the rules of the rules judge, a one-line description (the
semantic filter's anchor) and a small labelled set. A judge kind is a config model registered
in ``JUDGES`` whose ``build(rubric)`` returns a ``Judge``; ``Judge.score(texts)`` gives one
number per text on the rubric's scale. ``agreement(judge)`` scores the labelled set and reports
how far the judge can be trusted: accuracy of the thresholded decision (Wilson interval) for
two-valued labels, Pearson correlation (Fisher-z interval) otherwise, with n, and ``weak``
when the figure is below the rubric's stated floor.

A new judge kind is one file in this package::

    @JUDGES.register("length")
    class LengthJudge(JudgeConfig):
        kind: Literal["length"] = "length"

        def build(self, rubric: Rubric) -> Judge:
            return FunctionJudge(rubric, lambda texts: [min(len(t) / 100, 1.0) * rubric.high for t in texts])
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, TypeAlias

import numpy as np
from pydantic import BaseModel, ConfigDict

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.registry import PickedByKind, Registry
from heredity.stats import wilson


@dataclass(frozen=True)
class Rubric:
    """What a judge scores: ``question`` on the scale ``low``..``high``; a text shows the
    behaviour when its score is >= ``threshold``. ``rules``: (regex, weight) pairs of the rules
    judge (score = ``base`` + the weights of the patterns found, clipped to the scale).
    ``labelled``: (text, label on the scale). ``floor``: the agreement below which a judge is
    weak (accuracy for two-valued labels, correlation otherwise)."""

    name: str
    question: str
    low: float
    high: float
    threshold: float
    description: str = ""
    rules: tuple[tuple[str, float], ...] = ()
    base: float = 0.0
    labelled: tuple[tuple[str, float], ...] = ()
    floor: float = 0.7

    def binary(self) -> bool:
        return len({label for _, label in self.labelled}) <= 2

    def clip(self, value: float) -> float:
        return float(min(self.high, max(self.low, value)))


def load_rubrics(trait: str) -> dict[str, Rubric]:
    """The rubrics shipped with a trait (``heredity/traits/data/<trait>.json``)."""
    path = resources.files("heredity.traits").joinpath("data", f"{trait}.json")
    data = json.loads(path.read_text())
    out = {}
    for name, r in data["rubrics"].items():
        out[name] = Rubric(
            name=f"{trait}:{name}", question=r["question"], low=r["scale"][0], high=r["scale"][1],
            threshold=r["threshold"], description=r.get("description", ""),
            rules=tuple((p, float(w)) for p, w in r.get("rules", [])), base=float(r.get("base", r["scale"][0])),
            labelled=tuple((x["text"], float(x["label"])) for x in r.get("labelled", [])), floor=float(r.get("floor", 0.7)),
        )
    return out


class Judge(ABC):
    """A built judge: ``score(texts)`` -> one number per text on ``rubric``'s scale."""

    kind = "judge"

    def __init__(self, rubric: Rubric):
        self.rubric = rubric

    @abstractmethod
    def score(self, texts: Sequence[str]) -> list[float]:
        ...

    def decide(self, texts: Sequence[str]) -> list[bool]:
        """Whether each text shows the behaviour (score >= the rubric's threshold)."""
        return [s >= self.rubric.threshold for s in self.score(texts)]

    def labelled_scores(self) -> list[float]:
        """The judge's scores of the labelled set, for ``agreement``. A judge fitted to the
        labelled set overrides this with held-out (leave-one-out) scores."""
        return self.score([t for t, _ in self.rubric.labelled])


class FunctionJudge(Judge):
    def __init__(self, rubric: Rubric, fn: Callable[[Sequence[str]], list[float]], kind: str = "function"):
        super().__init__(rubric)
        self.fn, self.kind = fn, kind

    def score(self, texts):
        return [self.rubric.clip(s) for s in self.fn(texts)]


class JudgeConfig(Strict):
    """Base of every judge config: a ``kind`` literal (the registry key) and ``build(rubric)``."""

    kind: str

    @abstractmethod
    def build(self, rubric: Rubric) -> Judge:
        ...


JUDGES: Registry[type[JudgeConfig]] = Registry("judge")
# a field that takes any registered judge, picked by its kind
AnyJudge: TypeAlias = Annotated[JudgeConfig, PickedByKind(JUDGES)]


class Agreement(BaseModel):
    """A judge's agreement with a rubric's labelled set: never a bare number."""

    model_config = ConfigDict(frozen=True)

    judge: str
    rubric: str
    metric: str  # "accuracy" or "pearson"
    value: float
    ci: tuple[float, float]
    n: int
    floor: float
    weak: bool
    held_out: bool  # scores of the labelled set were not fitted on the same text
    details: dict = {}


def _fisher(r: float, n: int, level: float = 0.95) -> tuple[float, float]:
    from scipy import stats

    if n < 4 or abs(r) >= 1:
        return (r, r) if abs(r) >= 1 else (-1.0, 1.0)
    z, half = math.atanh(r), float(stats.norm.ppf(0.5 + level / 2)) / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


def agreement(judge: Judge, held_out: bool | None = None) -> Agreement:
    """Score the rubric's labelled set with ``judge`` and compare with the labels."""
    rubric = judge.rubric
    if not rubric.labelled:
        raise ConfigError(f"judge {judge.kind}: rubric {rubric.name} has no labelled set to measure agreement on")
    labels = np.array([y for _, y in rubric.labelled], dtype=float)
    scores = np.array(judge.labelled_scores(), dtype=float)
    n = len(labels)
    details = {"mean_score": float(scores.mean()), "mean_label": float(labels.mean())}
    if rubric.binary():
        right = int(((scores >= rubric.threshold) == (labels >= rubric.threshold)).sum())
        metric, value, ci = "accuracy", right / n, wilson(right, n)
    else:
        r = float(np.corrcoef(scores, labels)[0, 1]) if scores.std() > 0 else 0.0
        metric, value, ci = "pearson", r, _fisher(r, n)
        details["accuracy_at_threshold"] = float(((scores >= rubric.threshold) == (labels >= rubric.threshold)).mean())
    return Agreement(
        judge=judge.kind, rubric=rubric.name, metric=metric, value=value, ci=ci, n=n, floor=rubric.floor,
        weak=value < rubric.floor, held_out=getattr(judge, "held_out", False) if held_out is None else held_out,
        details=details,
    )


@dataclass
class _Lazy:
    """A judge built on first use (building an embedding or model judge loads weights)."""

    make: Callable[[], Judge]
    judge: Judge | None = field(default=None)

    def get(self) -> Judge:
        if self.judge is None:
            self.judge = self.make()
        return self.judge


def lazy_scorer(config: JudgeConfig, rubric: Rubric) -> Callable[[str], float]:
    """One text -> its score, with the judge built on first use and kept (building an
    embedding or model judge loads weights; a trait's ``build()`` must stay cheap)."""
    lazy = _Lazy(lambda: config.build(rubric))
    return lambda text: lazy.get().score([text])[0]
