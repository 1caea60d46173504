"""Attribution of an A->B gap to the crossed factors: cell means, effects, exact Shapley shares.

Pure numbers (numpy, scipy, statsmodels; no models). The input is one array ``values`` of shape
``(2,)*k + (seeds, probes)``: axis j is factor j (0 = pipeline A's level, 1 = B's), then the
student seed, then the probe. Probes are the same questions in every cell, and seed s is the
same student seed in every cell, so cells are compared paired.

- ``v(S)``: the mean score of the cell whose factors in S are at B (mean over seeds and probes).
- gap = v(all) - v(none): pipeline B's score minus pipeline A's ("the A->B gap").
- Shapley share of factor i: sum over S not containing i of |S|!(k-|S|-1)!/k! (v(S+i) - v(S)),
  exact (k <= 4: at most 16 cells). The shares sum to the gap.
- Dividends (anchored at A): m(T) = sum over U subset of T of (-1)^{|T|-|U|} v(U). m({i}) is the
  simple effect of i (swapping i alone, from A), m({i,j}) the two-way interaction (difference of
  differences at A), and so on; v(S) = sum over T subset of S of m(T), and
  share_i = sum over T containing i of m(T) / |T| (REFERENCES.md: simple effect + 1/2 of each
  two-way + 1/3 of the three-way interaction it belongs to).
- Main effects and interactions (effect coding, +-1/2): the coefficients of the saturated linear
  model on per-(seed, probe) scores, i.e. the averaged contrasts 2^{|T|-k} sum_cells prod c_i v;
  for sampled 0/1 outcomes a logistic GLM gives the same contrasts on the log-odds scale.
- Bootstrap: each draw resamples probes and seeds together (the same resampled probe and seed
  indices in every cell), so a share's interval reflects both sources of noise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from heredity import stats
from heredity.diffing import design
from heredity.diffing.records import (
    Attribution,
    Bootstrap,
    CellResult,
    Change,
    Dividend,
    Effect,
    Gap,
    GridAttribution,
    PathStep,
    Score,
    Share,
)

# ---------------------------------------------------------------- the data


def grid(factors: Sequence[str], per_cell: Mapping[tuple[str, ...], Any]) -> np.ndarray:
    """Stack per-cell scores into the ``(2,)*k + (seeds, probes)`` array.

    ``per_cell`` maps ``design.key(cell, factors)`` (a tuple of "A"/"B" in factor order) to a
    ``[seeds, probes]`` array (a 1-d ``[probes]`` array is one seed), or to a list of
    ``heredity.measure.Score`` (one per seed; their ``per_probe`` values are used). Every cell
    must be present and have the same shape.
    """
    factors = design.check_factors(factors)
    shape = None
    out: np.ndarray | None = None
    for cell in design.cells(factors):
        k = design.key(cell, factors)
        if k not in per_cell:
            raise ValueError(f"cell {design.name(cell)} has no scores")
        raw = per_cell[k]
        if isinstance(raw, list | tuple) and raw and hasattr(raw[0], "per_probe"):
            raw = [score.per_probe for score in raw]
        x = np.asarray(raw, dtype=float)
        x = x[None, :] if x.ndim == 1 else x
        if x.ndim != 2 or x.size == 0:
            raise ValueError(f"cell {design.name(cell)}: expected [seeds, probes] scores, got shape {x.shape}")
        if out is None:
            shape = x.shape
            out = np.empty((2,) * len(factors) + shape)
        elif x.shape != shape:
            raise ValueError(f"cell {design.name(cell)} has shape {x.shape}, others {shape}: cells need the same seeds and probes")
        out[design.index(cell, factors)] = x
    if out is None:  # check_factors refuses an empty design, so there is always a cell
        raise ValueError("no cells: a design needs at least one factor")
    return out


def cell_means(values: np.ndarray, k: int) -> np.ndarray:
    """``(..., 2,)*k`` cell means over the last two axes (seeds, probes)."""
    return values.mean(axis=(-2, -1)) if values.ndim == k + 2 else values


def _subsets(k: int):
    for size in range(k + 1):
        yield from itertools.combinations(range(k), size)


def _at(means: np.ndarray, k: int, subset: Sequence[int]) -> np.ndarray:
    """v(S) for every leading (bootstrap) index: the cell with the factors in S at B."""
    idx: tuple[Any, ...] = (Ellipsis, *(1 if j in subset else 0 for j in range(k)))
    return means[idx]


# ---------------------------------------------------------------- exact decompositions


def shapley(means: np.ndarray, k: int) -> np.ndarray:
    """Exact Shapley values ``[..., k]`` of the game v(S) = mean of the cell with S at B.

    ``means`` has shape ``(...,) + (2,)*k``; leading axes (bootstrap draws) are kept.
    """
    if k < 1 or k > len(design.FACTORS):
        raise ValueError(f"exact Shapley is for 1 <= k <= {len(design.FACTORS)} factors (got {k})")
    out = np.zeros(means.shape[: means.ndim - k] + (k,))
    for i in range(k):
        others = [j for j in range(k) if j != i]
        for size in range(k):
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            for s in itertools.combinations(others, size):
                out[..., i] += weight * (_at(means, k, (*s, i)) - _at(means, k, s))
    return out


def dividends(means: np.ndarray, k: int) -> dict[tuple[int, ...], np.ndarray]:
    """Harsanyi dividends anchored at pipeline A, for every non-empty subset T of factors:
    m(T) = sum_{U subset T} (-1)^{|T|-|U|} v(U). Simple effects (|T| = 1) and interactions."""
    out = {}
    for t in _subsets(k):
        if not t:
            continue
        total: Any = 0.0  # an array over the leading (bootstrap) axes once a cell is added
        for size in range(len(t) + 1):
            for u in itertools.combinations(t, size):
                total = total + (-1) ** (len(t) - size) * _at(means, k, u)
        out[t] = total
    return out


def contrasts(means: np.ndarray, k: int) -> dict[tuple[int, ...], np.ndarray]:
    """Effect-coded (+-1/2) saturated-model coefficients for every non-empty subset T:
    2^{|T|-k} sum_cells prod_{i in T} c_i v(cell), c = -1 at A, +1 at B. For |T| = 1 the main
    effect (B minus A averaged over the other factors); for larger T the interaction."""
    out = {}
    for t in _subsets(k):
        if not t:
            continue
        total: Any = 0.0  # an array over the leading (bootstrap) axes once a cell is added
        for levels in itertools.product((0, 1), repeat=k):
            sign = np.prod([1 if levels[i] else -1 for i in t])
            at: tuple[Any, ...] = (Ellipsis, *levels)
            total = total + sign * means[at]
        out[t] = total * 2.0 ** (len(t) - k)
    return out


def term_name(factors: Sequence[str], t: Sequence[int]) -> str:
    """``base:teacher`` for the interaction of base and teacher."""
    return ":".join(factors[i] for i in t)


# ---------------------------------------------------------------- bootstrap


def bootstrap_means(values: np.ndarray, k: int, draws: int = 2000, seed: int = 0) -> np.ndarray:
    """``[draws] + (2,)*k`` cell means, each draw resampling probes and seeds with replacement,
    the same indices in every cell (cells stay paired)."""
    rng = np.random.default_rng(seed)
    n_seeds, n_probes = values.shape[-2:]
    # Resampling indices i.i.d. is the same as weighting each seed / probe by its count.
    seed_w = np.stack([np.bincount(rng.integers(n_seeds, size=n_seeds), minlength=n_seeds) for _ in range(draws)])
    probe_w = np.stack([np.bincount(rng.integers(n_probes, size=n_probes), minlength=n_probes) for _ in range(draws)])
    flat = values.reshape(-1, n_seeds, n_probes)
    out = np.einsum("csp,bs,bp->bc", flat, seed_w, probe_w) / (n_seeds * n_probes)
    return out.reshape((draws,) + (2,) * k)


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of the finite draws (None when no draw is finite, e.g. a fraction of
    a gap that is exactly 0 in every draw)."""
    x = np.asarray(draws, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None
    lo, hi = np.quantile(x, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


# ---------------------------------------------------------------- models with intervals


def _design_matrix(factors: Sequence[str], n_seeds: int, n_probes: int):
    """Long-format rows for every (cell, seed, probe): effect-coded columns for every term,
    and the probe index as the cluster."""
    k = len(factors)
    terms = [t for t in _subsets(k) if t]
    rows, groups = [], []
    for levels in itertools.product((0, 1), repeat=k):
        c = [0.5 if level else -0.5 for level in levels]
        x = [1.0] + [float(np.prod([c[i] for i in t])) for t in terms]
        for _ in range(n_seeds):
            for p in range(n_probes):
                rows.append(x)
                groups.append(p)
    return terms, np.asarray(rows), np.asarray(groups)


def linear_effects(factors: Sequence[str], values: np.ndarray, level: float = 0.95) -> dict[str, dict]:
    """OLS of per-(seed, probe) scores on the effect-coded saturated model, standard errors
    clustered by probe (the same probe is asked in every cell). ``{term: {estimate, ci, p_value}}``
    with terms named ``base`` (main effect) or ``base:teacher`` (interaction)."""
    import statsmodels.api as sm

    n_seeds, n_probes = values.shape[-2:]
    terms, x, groups = _design_matrix(factors, n_seeds, n_probes)
    y = values.reshape(-1)  # C order: cells (A-first binary), then seeds, then probes, as built
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True) if n_probes > 1 else sm.OLS(y, x).fit()
    ci = np.asarray(fit.conf_int(alpha=1 - level))
    return {
        term_name(factors, t): {"estimate": float(fit.params[j + 1]), "ci": (float(ci[j + 1, 0]), float(ci[j + 1, 1])), "p_value": float(fit.pvalues[j + 1])}
        for j, t in enumerate(terms)
    }


def logistic_effects(factors: Sequence[str], successes: np.ndarray, trials: np.ndarray | int, level: float = 0.95) -> dict[str, dict]:
    """Logistic GLM for sampled 0/1 outcomes: successes out of trials per (cell, seed, probe),
    the same effect-coded saturated terms, on the log-odds scale, clustered by probe.

    A cell with no success (or no failure) at all makes its log-odds infinite: ValueError then,
    naming the cell (use the linear model on rates instead).
    """
    import statsmodels.api as sm

    successes = np.asarray(successes, dtype=float)
    trials = np.broadcast_to(np.asarray(trials, dtype=float), successes.shape)
    if (successes < 0).any() or (successes > trials).any():
        raise ValueError("logistic_effects needs 0 <= successes <= trials")
    for cell in design.cells(factors):
        idx = design.index(cell, factors)
        s, n = successes[idx].sum(), trials[idx].sum()
        if s == 0 or s == n:
            raise ValueError(f"cell {design.name(cell)} has {int(s)} of {int(n)} successes: its log-odds are infinite")
    n_seeds, n_probes = successes.shape[-2:]
    terms, x, groups = _design_matrix(factors, n_seeds, n_probes)
    s, n = successes.reshape(-1), trials.reshape(-1)
    model = sm.GLM(np.column_stack([s, n - s]), x, family=sm.families.Binomial())
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}) if n_probes > 1 else model.fit()
    ci = np.asarray(fit.conf_int(alpha=1 - level))
    return {
        term_name(factors, t): {"estimate": float(fit.params[j + 1]), "ci": (float(ci[j + 1, 0]), float(ci[j + 1, 1])), "p_value": float(fit.pvalues[j + 1])}
        for j, t in enumerate(terms)
    }


# ---------------------------------------------------------------- everything at once


def cell_score(values: np.ndarray, bounded: bool = True, level: float = 0.95) -> Score:
    """The mean over probes of the seed-averaged per-probe score, with a t-interval across probes
    (n = probes); clipped to [0, 1] when ``bounded``."""
    per_probe = values.mean(axis=0)
    p, lo, hi = stats.t_interval(per_probe, level)
    if bounded:
        lo, hi = max(0.0, lo), min(1.0, hi)
    return Score(p=p, ci=(lo, hi), n=int(per_probe.size), seeds=int(values.shape[0]))


def attribute(
    factors: Sequence[str],
    values: np.ndarray,
    *,
    draws: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    bounded: bool = True,
    path_order: Sequence[str] | None = None,
    successes: np.ndarray | None = None,
    trials: np.ndarray | int | None = None,
) -> GridAttribution:
    """The attribution of one behaviour's gap on one grid.

    ``values``: ``(2,)*k + (seeds, probes)`` per-probe scores (``grid`` builds it). For sampled
    outcomes also pass ``successes`` (same shape) and ``trials``: main effects and interactions
    then come from the logistic GLM (log-odds), everything else from ``values`` (the rates).

    Returns the gap, each cell's score, the path, and the attribution: ``shapley[f]`` (share in
    score units, summing to the gap; fraction = share / gap), main effects and interactions
    (``effects_model`` says which model gave them, and why, when the logistic GLM could not be
    fit), dividends and the bootstrap's settings.
    """
    factors = design.check_factors(factors)
    k = len(factors)
    values = np.asarray(values, dtype=float)
    if values.shape[:k] != (2,) * k or values.ndim != k + 2:
        raise ValueError(f"values must have shape (2,)*{k} + (seeds, probes), got {values.shape}")
    means = cell_means(values, k)
    boot = bootstrap_means(values, k, draws, seed)
    gap = float(_at(means, k, range(k)) - _at(means, k, ()))
    gap_b = _at(boot, k, range(k)) - _at(boot, k, ())
    phi, phi_b = shapley(means, k), shapley(boot, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac_b = phi_b / gap_b[:, None]
    shap = {
        f: Share(share=float(phi[i]), ci=percentile_ci(phi_b[:, i], level),
                 fraction=float(phi[i] / gap) if gap != 0 else None, fraction_ci=percentile_ci(frac_b[:, i], level))
        for i, f in enumerate(factors)
    }
    effects_model = "linear: OLS of per-probe scores, standard errors clustered by probe"
    if successes is not None:
        if trials is None:
            raise ValueError("successes need trials")
        try:
            fitted = logistic_effects(factors, successes, trials, level)
            scale, effects_model = "log-odds", "logistic: binomial GLM of sampled successes, clustered by probe"
        except ValueError as exc:  # a cell with no success: infinite log-odds, so the rates' linear model
            if "infinite" not in str(exc):
                raise
            fitted, scale = linear_effects(factors, values, level), "score"
            effects_model += f" (the logistic GLM was not fit: {exc})"
    else:
        fitted = linear_effects(factors, values, level)
        scale = "score"
    main = {f: Effect(**fitted[f], scale=scale) for f in factors}
    inter = {name: Effect(**v, scale=scale) for name, v in fitted.items() if ":" in name}
    div, div_b = dividends(means, k), dividends(boot, k)
    cells_out = [CellResult(factors=cell, score=cell_score(values[design.index(cell, factors)], bounded, level))
                 for cell in design.cells(factors)]
    path_out = []
    previous = None
    for factor, cell in design.path(factors, path_order):
        idx = design.index(cell, factors)
        change = None
        if previous is not None:
            at: tuple[Any, ...] = (Ellipsis, *idx)
            before: tuple[Any, ...] = (Ellipsis, *previous)
            d_b = boot[at] - boot[before]
            change = Change(value=float(means[idx] - means[previous]), ci=percentile_ci(d_b, level))
        path_out.append(PathStep(swapped=factor, factors=cell, score=cell_score(values[idx], bounded, level), change=change))
        previous = idx
    return GridAttribution(
        gap=Gap(value=gap, ci=percentile_ci(gap_b, level), a=float(means[(0,) * k]), b=float(means[(1,) * k])),
        cells=cells_out,
        attribution=Attribution(
            shapley=shap, main_effects=main, interactions=inter, effects_model=effects_model,
            dividends={term_name(factors, t): Dividend(value=float(div[t]), ci=percentile_ci(div_b[t], level)) for t in div},
            bootstrap=Bootstrap(draws=draws, seed=seed, level=level, resampled="probes and seeds together",
                                seeds=int(values.shape[-2]), probes=int(values.shape[-1])),
        ),
        path=path_out,
    )


def resampled_score(values: np.ndarray, *, draws: int = 2000, seed: int = 0, level: float = 0.95, bounded: bool = True) -> Score:
    """The score of one arm whose ``[units, probes]`` scores come from several
    independently trained units (seeds, or random draws of a patched subset): the mean, with a
    percentile interval from the bootstrap that resamples units and probes together (so the
    interval reflects which prompts happened to be patched as well as which probes were asked).
    n = probes."""
    values = np.asarray(values, dtype=float)
    values = values[None, :] if values.ndim == 1 else values
    boot = bootstrap_means(values, 0, draws, seed)
    ci = percentile_ci(boot, level)
    if ci is None:
        raise ValueError(f"no finite bootstrap draw among {draws}: the scores hold NaN or inf")
    lo, hi = ci
    p = float(values.mean())
    if bounded:
        lo, hi = max(0.0, lo), min(1.0, hi)
    return Score(p=p, ci=(lo, hi), n=int(values.shape[1]), seeds=int(values.shape[0]))
