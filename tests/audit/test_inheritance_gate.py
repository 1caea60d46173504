"""The verdict's effect-size gate (``inheritance.MIN_SHARE``): a near-constant drift between
student and control is significant by a paired t-test, yet no inheritance."""

import numpy as np

from heredity.audit.inheritance import MIN_SHARE, correct, inheritance, verdict


def _drift(shift: float, n: int = 30, seed: int = 0) -> dict:
    """Student = control + ``shift`` on every probe (+ noise a thousand times smaller), teacher = base + 0.4."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.05, 0.1, n)
    control = base + rng.normal(0, 0.005, n)
    teacher = base + 0.4 + rng.normal(0, 0.02, n)
    return inheritance(teacher, base, control + shift + rng.normal(0, abs(shift) / 1000 + 1e-12, n), control, n_boot=500)


def test_a_tiny_constant_drift_is_significant_but_not_inherited():
    tiny, real = _drift(1e-6), _drift(0.1)
    correct([tiny, real], "holm")
    assert tiny["student_minus_control"]["p_adjusted"] < 1e-6  # the t-test alone would call it
    assert tiny["score"] < MIN_SHARE
    line = verdict(tiny, 0.05, 0.01)
    assert line.startswith("not detected") and "below 1% of the teacher's shift" in line
    assert verdict(real, 0.05, 0.01).startswith("inherited")


def test_the_gate_applies_to_moving_away_and_can_be_turned_off():
    away = _drift(-1e-6)
    correct([away], "holm")
    assert verdict(away, 0.05, 0.01).startswith("not detected")
    assert verdict(away, 0.05, 0.01, min_share=0.0).startswith("moved away")
    up = _drift(1e-6, seed=1)
    correct([up], "holm")
    assert verdict(up, 0.05, 0.01, min_share=0.0).startswith("inherited")
