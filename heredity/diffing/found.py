"""What a found flip set is, once found: how many of its rows are on a topic the prompt set knows
(precision and recall, against a random subset of the same size), and where teacher A's signature
remains outside it (leakage: the rows a drop leaves that still score like teacher A's).

The finder (``heredity.diffing.flip``) ranks rows by a scorer and never sees a topic; the topics
are the task's own labels (``Task.topic``), used here only to check what was found. Pure numbers
(numpy, scipy, statsmodels) and typed records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence

import numpy as np
from pydantic import Field

from heredity import stats
from heredity.stats_records import Record

Interval = tuple[float, float]


class TopicMatch(Record):
    topic: str
    hits: int = Field(description="rows of the flip set on this topic")
    rows: int = Field(description="rows in the flip set")
    on_topic: int = Field(description="rows on this topic among all rows")
    n: int = Field(description="all rows")
    precision: float = Field(description="hits / rows")
    precision_ci: Interval = Field(description="95% Wilson interval")
    recall: float | None = Field(description="hits / on_topic (None when no row is on the topic)")
    recall_ci: Interval | None
    base_rate: float = Field(description="on_topic / n: a random subset's expected precision")
    p_value: float = Field(description="P(a random subset of the same size holds at least as many on-topic rows): hypergeometric")


class FlipSet(Record):
    """The flip set found at one fraction, against every topic the task labels."""

    fraction: float
    rows: int
    threshold: float = Field(description="the lowest row score in the set")
    topics: list[TopicMatch]


class RowScoreSummary(Record):
    mean: float
    ci: Interval = Field(description="95% t-interval of the mean over rows")
    median: float
    n: int = Field(description="rows")


class LeakageAt(Record):
    """At one fraction: the flagged rows against the rows a drop keeps."""

    fraction: float
    flagged: RowScoreSummary
    rest: RowScoreSummary
    rest_marked: int = Field(description="rows outside the set scoring above the cut: they still carry teacher A's signature")
    rest_marked_share: float
    rest_marked_ci: Interval = Field(description="95% Wilson interval of rest_marked / rest rows")
    rest_marked_by_topic: dict[str, int] = Field({}, description="the marked rows outside the set, by the prompts' topic")


class Leakage(Record):
    """Where teacher A's signature is once the flip set is dropped, read off the finder's row scores."""

    cut: float = Field(description="a row carries the signature when it scores above this: the 95th percentile of the "
                                   "same scorer on teacher B's rollouts of the same prompts")
    rows_marked: int = Field(description="teacher A's rows scoring above the cut, of all")
    rows: int
    b_rows_marked: int = Field(description="teacher B's rows above the cut (about 5% by construction)")
    by_topic: dict[str, RowScoreSummary] = Field({}, description="teacher A's row scores by the prompts' topic")
    at: list[LeakageAt]


def topic_match(flagged: Collection[int], topics: Mapping[int, str | None], topic: str) -> TopicMatch:
    """Precision and recall of the row ids ``flagged`` against the rows whose topic is ``topic``
    (``topics``: every row's id to its topic), with Wilson intervals and the hypergeometric
    p-value of as many hits in a random subset of the same size."""
    from scipy.stats import hypergeom

    missing = set(flagged) - topics.keys()
    if missing:
        raise ValueError(f"flagged rows {sorted(missing)[:5]} have no topic")
    n, rows = len(topics), len(flagged)
    on_topic = sum(t == topic for t in topics.values())
    hits = sum(topics[i] == topic for i in flagged)
    return TopicMatch(
        topic=topic, hits=hits, rows=rows, on_topic=on_topic, n=n,
        precision=hits / rows if rows else 0.0, precision_ci=stats.wilson(hits, rows) if rows else (0.0, 1.0),
        recall=hits / on_topic if on_topic else None, recall_ci=stats.wilson(hits, on_topic) if on_topic else None,
        base_rate=on_topic / n, p_value=float(hypergeom.sf(hits - 1, n, on_topic, rows)),
    )


def flip_set(fraction: float, flagged: Collection[int], scores: Mapping[int, float], topics: Mapping[int, str | None]) -> FlipSet:
    """The found set at ``fraction`` against every topic the rows are labelled with (none: no topics)."""
    labels = sorted({t for t in topics.values() if t is not None})
    return FlipSet(fraction=fraction, rows=len(flagged), threshold=float(min(scores[i] for i in flagged)),
                   topics=[topic_match(flagged, topics, t) for t in labels])


def summary(values: Sequence[float]) -> RowScoreSummary:
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return RowScoreSummary(mean=float("nan"), ci=(float("nan"), float("nan")), median=float("nan"), n=0)
    mean, lo, hi = stats.t_interval(x) if x.size > 1 else (float(x[0]), float(x[0]), float(x[0]))
    return RowScoreSummary(mean=float(mean), ci=(float(lo), float(hi)), median=float(np.median(x)), n=int(x.size))


def leakage(scores_a: Mapping[int, float], scores_b: Sequence[float], sets: Mapping[float, Collection[int]],
            topics: Mapping[int, str | None] | None = None, quantile: float = 0.95) -> Leakage:
    """Teacher A's row scores ``{i: score}`` against teacher B's on the same prompts: the cut is
    B's ``quantile``; for each found set ``{fraction: ids}``, the flagged rows' scores, the rest's,
    and how many of the rest score above the cut (still marked as teacher A's)."""
    if not len(scores_b):
        raise ValueError("leakage needs teacher B's row scores for the cut")
    topics = topics or {}
    cut = float(np.quantile(np.asarray(scores_b, dtype=float), quantile))
    marked = {i for i, s in scores_a.items() if s > cut}
    at = []
    for fraction, flagged in sorted(sets.items()):
        rest = [i for i in scores_a if i not in flagged]
        rest_marked = [i for i in rest if i in marked]
        at.append(LeakageAt(
            fraction=fraction, flagged=summary([scores_a[i] for i in flagged]), rest=summary([scores_a[i] for i in rest]),
            rest_marked=len(rest_marked), rest_marked_share=len(rest_marked) / len(rest) if rest else 0.0,
            rest_marked_ci=stats.wilson(len(rest_marked), len(rest)) if rest else (0.0, 1.0),
            rest_marked_by_topic=dict(Counter(str(topics.get(i)) for i in rest_marked)) if topics else {},
        ))
    by_topic = {}
    for t in sorted({t for t in topics.values() if t is not None}):
        by_topic[t] = summary([s for i, s in scores_a.items() if topics.get(i) == t])
    return Leakage(cut=cut, rows_marked=len(marked), rows=len(scores_a),
                   b_rows_marked=int(sum(s > cut for s in scores_b)), by_topic=by_topic, at=at)
