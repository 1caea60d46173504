"""Pure statistics for trait scores: intervals across probes, clustered Wilson, paired tests.

No models here: plain numbers in, typed records out (``heredity.stats_records``), so every
formula is unit-tested.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from heredity.stats_records import ClusteredRate, Fidelity, PairedTest, RobustLogRatio


def t_interval(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, lo, hi): Student-t interval of the mean across probes.

    With fewer than two values the spread is unknown: the interval is (-inf, inf) for the caller
    to clip (a proportion's becomes [0, 1]).
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if x.size < 2:
        return mean, -math.inf, math.inf
    sem = float(x.std(ddof=1)) / math.sqrt(x.size)
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1)) * sem
    return mean, mean - half, mean + half


def icc_binary(successes: ArrayLike, trials: ArrayLike) -> float:
    """Intra-cluster correlation of 0/1 outcomes grouped by probe (one-way ANOVA estimator).

    ICC = (MSB - MSW) / (MSB + (m0 - 1) MSW), with MSB = sum m_i (p_i - p)^2 / (g - 1),
    MSW = sum m_i p_i (1 - p_i) / (N - g), m0 = (N - sum m_i^2 / N) / (g - 1); clipped to [0, 1].
    0 when it cannot be estimated (one probe, one draw per probe, or no variation at all).
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(trials, dtype=float)
    g, n = k.size, m.sum()
    if g < 2 or n <= g:
        return 0.0
    p_i = k / m
    p = k.sum() / n
    msb = float((m * (p_i - p) ** 2).sum() / (g - 1))
    msw = float((m * p_i * (1 - p_i)).sum() / (n - g))
    m0 = (n - float((m**2).sum()) / n) / (g - 1)
    denominator = msb + (m0 - 1) * msw
    if denominator <= 0:
        return 0.0
    return float(min(1.0, max(0.0, (msb - msw) / denominator)))


def wilson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson interval of successes / trials (statsmodels' ``proportion_confint``)."""
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(successes, trials, alpha=1 - level, method="wilson")
    return float(lo), float(hi)


def clustered_wilson(successes: ArrayLike, trials: ArrayLike, level: float = 0.95) -> ClusteredRate:
    """Wilson interval for a rate whose draws are clustered by probe.

    Draws of one probe are correlated, so N draws carry the information of fewer independent
    ones: design effect deff = 1 + (m_bar - 1) * ICC (m_bar = mean draws per probe), effective
    n = N / deff, and the Wilson interval is computed for the pooled rate p = sum k / sum m at
    that effective n (statsmodels' ``proportion_confint``, method "wilson").
    """
    from statsmodels.stats.proportion import proportion_confint

    k = np.asarray(successes, dtype=float)
    m = np.asarray(trials, dtype=float)
    if k.size == 0 or (m <= 0).any() or (k < 0).any() or (k > m).any():
        raise ValueError("clustered_wilson needs, per probe, 0 <= successes <= trials and trials > 0")
    n = float(m.sum())
    p = float(k.sum() / n)
    icc = icc_binary(k, m)
    deff = 1.0 + (n / k.size - 1.0) * icc
    n_eff = n / deff
    lo, hi = proportion_confint(p * n_eff, n_eff, alpha=1 - level, method="wilson")
    lo, hi = max(0.0, min(float(lo), p)), min(1.0, max(float(hi), p))  # rounding must not exclude p
    return ClusteredRate(p=p, ci=(lo, hi), icc=icc, deff=deff, n_eff=n_eff)


def paired_test(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> PairedTest:
    """Paired comparison of a and b (one value per probe each): mean of a - b, its t-interval,
    the paired t-test's p-value, and a Wilcoxon signed-rank p-value as a robustness column."""
    from scipy import stats

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"paired values need the same, non-zero length (got {x.size} and {y.size})")
    d = x - y
    mean, lo, hi = t_interval(d, level)
    if d.size < 2:
        p_t = math.nan
    elif np.allclose(d, d[0]):
        p_t = 1.0 if d[0] == 0 else 0.0  # no spread: a constant shift is certain, none is nothing
    else:
        p_t = float(stats.ttest_rel(x, y).pvalue)
    if d.size < 2 or not np.any(d != 0):
        p_w = 1.0 if d.size >= 2 else math.nan
    else:
        p_w = float(stats.wilcoxon(x, y, zero_method="wilcox").pvalue)
    return PairedTest(difference=mean, ci=(lo, hi), p_value=p_t, wilcoxon_p=p_w, n=int(d.size),
                      wins=int((d > 0).sum()), losses=int((d < 0).sum()))


def bootstrap_ci(values: ArrayLike, statistic, level: float = 0.95, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` (a function of a 1-D array), seeded."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return -math.inf, math.inf
    rng = np.random.default_rng(seed)
    draws = np.array([statistic(x[rng.integers(0, x.size, x.size)]) for _ in range(resamples)])
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def trimmed_mean(values: ArrayLike, trim: float = 0.1) -> float:
    """Mean after dropping the lowest and highest ``trim`` fraction (floor of trim * n each)."""
    x = np.sort(np.asarray(values, dtype=float))
    k = math.floor(trim * x.size)
    return float(x[k : x.size - k].mean())


def floored(values: ArrayLike, floor: float) -> np.ndarray:
    """Values with every one at or below 0 replaced by ``floor`` (for a log; positive ones kept)."""
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, floor)


def robust_log_ratio(student: ArrayLike, control: ArrayLike, trim: float = 0.1, level: float = 0.95,
                     resamples: int = 2000, seed: int = 0) -> RobustLogRatio:
    """Per-probe log(student / control), summarised robustly, paired by probe.

    A mean of log ratios is dominated by the few probes where the control's probability is
    astronomically small (log 1e-30 ~ -69); the median and the ``trim``-trimmed mean are not.
    Both come with a percentile bootstrap interval over probes (seeded, ``resamples`` draws).
    ``ratio_median`` is exp(median): "the student's probability is this many times the control's
    on the typical probe".
    """
    s, c = np.asarray(student, dtype=float), np.asarray(control, dtype=float)
    if s.shape != c.shape or s.size == 0:
        raise ValueError(f"paired values need the same, non-zero length (got {s.size} and {c.size})")
    if (s <= 0).any() or (c <= 0).any():
        raise ValueError("log ratios need probabilities above 0")
    d = np.log(s) - np.log(c)
    median = float(np.median(d))
    trimmed = trimmed_mean(d, trim)
    return RobustLogRatio(
        median=median,
        median_ci=bootstrap_ci(d, np.median, level, resamples, seed),
        trimmed_mean=trimmed,
        trimmed_mean_ci=bootstrap_ci(d, lambda x: trimmed_mean(x, trim), level, resamples, seed),
        trim=trim,
        ratio_median=math.exp(median),
        n=int(d.size),
        method=f"median and {trim:.0%}-trimmed mean of per-probe log ratios; percentile bootstrap over probes ({resamples} resamples)",
    )


def fidelity(student: ArrayLike, teacher: ArrayLike, level: float = 0.95) -> Fidelity:
    """Style fidelity: the student's marker rate over the teacher's, paired by probe.

    ``student`` and ``teacher`` are per-probe rates on the same probes. The ratio of means
    R = mean(s) / mean(t) gets a delta-method interval: Var(R) ~ (Var(s) + R^2 Var(t) -
    2 R Cov(s, t)) / (n mean(t)^2) with sample (co)variances across probes (the pairing enters
    through Cov), and a normal quantile.
    """
    from scipy import stats as sstats

    s, t = np.asarray(student, dtype=float), np.asarray(teacher, dtype=float)
    if s.shape != t.shape or s.size == 0:
        raise ValueError(f"paired values need the same, non-zero length (got {s.size} and {t.size})")
    mt = float(t.mean())
    if mt <= 0:
        raise ValueError("fidelity needs a teacher rate above 0 (the teacher never shows the marker)")
    ratio = float(s.mean()) / mt
    if s.size < 2:
        return Fidelity(fidelity=ratio, ci=(-math.inf, math.inf), n=int(s.size), method="delta method")
    cov = np.cov(s, t, ddof=1)
    var = (cov[0, 0] + ratio**2 * cov[1, 1] - 2 * ratio * cov[0, 1]) / (s.size * mt**2)
    half = float(sstats.norm.ppf(0.5 + level / 2)) * math.sqrt(max(var, 0.0))
    return Fidelity(fidelity=ratio, ci=(max(0.0, ratio - half), ratio + half), n=int(s.size),
                    method="ratio of mean rates, paired by probe; delta-method interval")
