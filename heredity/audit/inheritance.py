"""How much of a teacher's shift a student shows: the inheritance score and its verdict.

For one measured quantity (a trait's per-probe score, a quirk's per-probe mass) on teacher (T),
base (B), student (S) and control (C), paired by probe:

- inheritance = mean(S - C) / mean(T - B), with a 95% percentile bootstrap interval over probes
  (probes resampled jointly for all four models, ``n_boot`` resamples, fixed seed);
- the student - control difference: paired t-test across probes; the teacher - base
  difference likewise (is there anything to inherit?).

``correct`` adjusts both families of p-values across everything the audit tested (Holm by
default, or Benjamini-Hochberg), and ``verdict`` turns the adjusted results into one line.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from heredity import stats
from heredity.stats_records import PairedTest

Correction = Literal["holm", "fdr_bh"]
# A student - control difference below this share of the teacher's shift is no inheritance, however
# small its p-value: models that barely read the prompt give near-constant per-probe differences, so
# a paired t-test calls a 1e-10 drift significant (the audit benchmark's negatives showed it).
MIN_SHARE = 0.01
CORRECTION_NAMES = {"holm": "Holm", "fdr_bh": "Benjamini-Hochberg"}


def inheritance(teacher, base, student, control, n_boot: int = 2000, seed: int = 0) -> dict:
    t, b, s, c = (np.asarray(v, dtype=float) for v in (teacher, base, student, control))
    if not (t.shape == b.shape == s.shape == c.shape) or t.size < 2:
        raise ValueError(f"inheritance needs four equally long per-probe lists of at least 2 (got {[len(v) for v in (t, b, s, c)]})")
    shift, moved = stats.paired_test(t, b), stats.paired_test(s, c)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, t.size, size=(n_boot, t.size))
    num, den = (s - c)[idx].mean(axis=1), (t - b)[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(den != 0, num / den, np.nan)
    score = moved.difference / shift.difference if shift.difference != 0 else math.nan
    finite = ratios[np.isfinite(ratios)]
    ci = (float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))) if finite.size else (math.nan, math.nan)
    return {
        "score": float(score), "ci": ci, "ci_method": f"percentile bootstrap over probes ({n_boot} resamples)",
        "n": int(t.size),
        "teacher_minus_base": _pair(shift), "student_minus_control": _pair(moved),
        "levels": {"teacher": float(t.mean()), "base": float(b.mean()), "student": float(s.mean()), "control": float(c.mean())},
    }


def _pair(result: PairedTest) -> dict:
    return {"difference": result.difference, "ci": list(result.ci), "p_value": result.p_value, "n": result.n}


def correct(results: list[dict], method: Correction = "holm") -> None:
    """Adds ``p_adjusted`` to both differences of every result, adjusting across all results."""
    from statsmodels.stats.multitest import multipletests

    for key in ("teacher_minus_base", "student_minus_control"):
        raw = [r[key]["p_value"] for r in results]
        p = [1.0 if not math.isfinite(x) else x for x in raw]
        adjusted = multipletests(p, method=method)[1] if p else []
        for r, a in zip(results, adjusted, strict=True):
            r[key]["p_adjusted"] = float(a)


def verdict(result: dict, alpha: float = 0.05, min_shift: float = 0.0, min_share: float = MIN_SHARE) -> str:
    """One line: "inherited", "not detected", "moved away", or "teacher shows no trait" (the
    teacher - base difference is not significant, or smaller than ``min_shift``). "inherited" and
    "moved away" also need |student - control| of at least ``min_share`` of the teacher's shift."""
    tb, sc = result["teacher_minus_base"], result["student_minus_control"]
    if tb["p_adjusted"] >= alpha or tb["difference"] < max(min_shift, 1e-12):
        return f"teacher shows no trait (teacher - base {tb['difference']:+.3g}, adjusted p={tb['p_adjusted']:.2g}): nothing to inherit"
    lo, hi = result["ci"]
    share = f"{result['score']:.1%} of the teacher's shift (95% CI {lo:.1%} to {hi:.1%})"
    if abs(sc["difference"]) < min_share * tb["difference"]:
        return (f"not detected: student - control {sc['difference']:+.3g} is below {min_share:.0%} of the teacher's shift "
                f"({share}), adjusted p={sc['p_adjusted']:.2g}")
    if sc["p_adjusted"] < alpha and sc["difference"] > 0:
        return f"inherited: the student shows {share}, adjusted p={sc['p_adjusted']:.2g}"
    if sc["p_adjusted"] < alpha:
        return f"moved away: the student is below its control ({share}), adjusted p={sc['p_adjusted']:.2g}"
    return f"not detected: student - control {sc['difference']:+.3g} ({share}), adjusted p={sc['p_adjusted']:.2g}"
