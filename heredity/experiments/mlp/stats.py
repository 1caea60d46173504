"""Summaries over seeds: mean, sample std and a Student-t 95% interval."""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats


def summarize(values: Sequence[float], level: float = 0.95) -> dict:
    """``{"mean", "std", "ci": [lo, hi], "n"}``; with one value the interval is that value."""
    xs = [float(v) for v in values]
    n = len(xs)
    mean = sum(xs) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else 0.0
    if n > 1 and std > 0:
        half = stats.t.ppf(0.5 + level / 2, n - 1) * std / math.sqrt(n)
    else:
        half = 0.0
    return {"mean": mean, "std": std, "ci": [mean - half, mean + half], "n": n}
