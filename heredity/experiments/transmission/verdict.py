"""Did the student inherit? One verdict per arm, from the four models' per-probe scores.

The share of the teacher's shift is the audit's inheritance score
(``heredity.audit.inheritance``): mean(student − control) / mean(teacher − base), paired by
probe, with a percentile bootstrap interval over probes. The same ratio with the base in place
of the control, (student − base) / (teacher − base), is the fidelity with the base rate taken
out: a student that learned nothing scores 0 on it, where student / teacher gives it the base's
own share of the teacher's rate.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from heredity.results import Comparison, Record, ScoreSummary

ALPHA = 0.05
Call = Literal["inherited", "not detected", "moved away", "teacher shows no trait"]


class Shift(Record):
    """Teacher − base, paired by probe: is there anything to inherit?"""

    difference: float
    ci: tuple[float, float]
    p_value: float
    n: int


class Share(Record):
    """A difference over the teacher's shift (teacher − base), paired by probe."""

    share: float = Field(description="mean difference / mean(teacher − base)")
    ci: tuple[float, float] = Field(description="95% percentile bootstrap interval over probes")
    n: int = Field(description="probes")
    method: str


class Verdict(Record):
    call: Call = Field(description="inherited (student above control, p < alpha), moved away (below), not detected, "
                                   "or teacher shows no trait (teacher − base not above 0 at p < alpha)")
    alpha: float = Field(ALPHA, description="the level of the tests behind the call (each arm's own, uncorrected across arms)")
    teacher_shift: Shift
    share: Share | None = Field(None, description="(student − control) / (teacher − base); none when the teacher's shift is 0")
    above_base: Share | None = Field(
        None, description="(student − base) / (teacher − base): the fidelity with the base rate taken out")


def _share(result: dict) -> Share | None:
    lo, hi = result["ci"]
    if not (math.isfinite(result["score"]) and math.isfinite(lo) and math.isfinite(hi)):
        return None
    return Share(share=result["score"], ci=(lo, hi), n=result["n"], method=f"ratio of mean paired differences; {result['ci_method']}")


def verdict(teacher: ScoreSummary, base: ScoreSummary, student: ScoreSummary, control: ScoreSummary,
            inheritance: Comparison, alpha: float = ALPHA) -> Verdict:
    """The call for one arm; ``inheritance`` is its student − control comparison (the test the
    call reads), the rest are the four models' scores on the same probes."""
    from heredity.audit.inheritance import inheritance as share_of_shift

    t, b, s = teacher.per_probe, base.per_probe, student.per_probe
    if len({len(a) for a in [t, b, s, control.per_probe]}) != 1 or len(t) < 2:
        raise ValueError("a verdict needs the four models' scores on the same probes (at least 2)")
    vs_control, vs_base = share_of_shift(t, b, s, control.per_probe), share_of_shift(t, b, s, base.per_probe)
    tb = vs_control["teacher_minus_base"]
    shift = Shift(difference=tb["difference"], ci=tuple(tb["ci"]), p_value=tb["p_value"], n=tb["n"])
    if not (shift.p_value < alpha and shift.difference > 0):
        call: Call = "teacher shows no trait"
    elif inheritance.p_value < alpha:
        call = "inherited" if inheritance.difference > 0 else "moved away"
    else:
        call = "not detected"
    return Verdict(call=call, alpha=alpha, teacher_shift=shift, share=_share(vs_control), above_base=_share(vs_base))
