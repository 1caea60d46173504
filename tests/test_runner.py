"""The runner's progress bar: a total given after the start (training knows its steps only once
it has planned them) shows as n/N with an ETA."""

from __future__ import annotations

import io

from rich.console import Console

from heredity.runner import Runner, _rate
from heredity.store import Store


def test_a_total_given_by_the_first_advance_is_shown(tmp_path):
    out = io.StringIO()
    runner = Runner(Store(tmp_path / "store"), console=Console(file=out, force_terminal=True, width=120, emoji=False))
    with runner.progress("training tiny", None, unit="steps") as advance:
        advance(0, total=3)
        for _ in range(3):
            advance(1)
    assert "3/3" in out.getvalue()  # without the total the bar ends at 3/?


def test_slow_rates_read_as_seconds_per_unit():
    assert _rate(2.5, "steps") == "2.5 steps/s"
    assert _rate(1 / 22.8, "steps") == "22.8 s/step"
