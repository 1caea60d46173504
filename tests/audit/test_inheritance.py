"""The inheritance score, its interval, the correction and the verdicts, on known numbers."""

import numpy as np

from heredity.audit.inheritance import correct, inheritance, verdict


def _case(student_shift, teacher_shift=0.4, n=30, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.05, 0.1, n)
    control = base + rng.normal(0, 0.005, n)
    teacher = base + teacher_shift + rng.normal(0, 0.02, n)
    return inheritance(teacher, base, control + student_shift + rng.normal(0, 0.02, n), control, n_boot=1000)


def test_score_is_the_share_of_the_teachers_shift_with_a_covering_interval():
    r = _case(0.1)
    assert abs(r["score"] - 0.25) < 0.03 and r["ci"][0] < r["score"] < r["ci"][1] and r["ci"][0] > 0.15 and r["ci"][1] < 0.35 and r["n"] == 30


def test_verdicts_after_correction():
    results = [_case(0.1), _case(0.0), _case(0.1, teacher_shift=0.0), _case(-0.1)]
    correct(results, "holm")
    lines = [verdict(r, 0.05, 0.01) for r in results]
    assert lines[0].startswith("inherited")
    assert lines[1].startswith("not detected")
    assert lines[2].startswith("teacher shows no trait")
    assert lines[3].startswith("moved away")
    raw = [r["student_minus_control"]["p_value"] for r in results]
    adjusted = [r["student_minus_control"]["p_adjusted"] for r in results]
    assert all(a >= p for a, p in zip(adjusted, raw)) and adjusted != raw
