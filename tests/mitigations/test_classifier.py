"""The adversarial filter's classifier and its drop-and-refill (pure numpy/scipy, no model)."""

import random

import numpy as np
import pytest

from heredity.mitigations.classifier import auc, drop_and_refill, fit

WORDS = ["the", "a", "sky", "river", "bread", "stone", "window", "garden", "quiet", "morning", "road", "paper", "light",
         "table"]


def sentences(n: int, seed: int, tic: str | None = None) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        s = " ".join(rng.choice(WORDS) for _ in range(8)) + "."
        out.append(f"{tic} {s}" if tic and rng.random() < 0.8 else s)
    return out


def test_auc_is_the_mann_whitney_share():
    labels = np.array([1, 1, 0, 0, 0])
    assert auc(np.array([0.9, 0.8, 0.1, 0.2, 0.3]), labels) == 1.0
    assert auc(np.array([0.1, 0.2, 0.9, 0.8, 0.3]), labels) == 0.0
    assert auc(np.array([0.5, 0.3, 0.4, 0.1, 0.6]), labels) == pytest.approx(3 / 6)  # 0.5>0.4,0.1; 0.3>0.1


def test_a_tic_is_found_on_held_out_rows_and_chance_is_chance():
    found = fit(sentences(80, 0, tic="Moreover,"), sentences(80, 1), seed=0)
    assert found.auc > 0.8 and found.auc_ci[0] <= found.auc <= found.auc_ci[1]
    assert found.n_heldout == 40 and found.n_train == 120
    chance = fit(sentences(80, 2), sentences(80, 3), seed=0)
    assert chance.auc_ci[0] < 0.5 < chance.auc_ci[1]  # the same writer twice: no signal
    assert found.score(["Moreover, the sky."])[0] > found.score(["the sky."])[0]


def test_too_few_rows_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 4 rows of each teacher"):
        fit(["a", "b"], ["c", "d", "e", "f"])


def test_drop_and_refill_keeps_the_row_count_and_drops_the_top():
    rows = [{"i": i, "prompt": f"p{i}", "completion": f"c{i}"} for i in range(10)]
    pool = [{"i": i, "prompt": f"q{i}", "completion": f"d{i}"} for i in range(6)]
    scores = np.arange(10.0)  # rows 8 and 9 score highest
    pool_scores = np.array([9.5, 0.0, 8.5, 1.0, 2.0, 3.0])  # 0 is above the cut (8), 2 is too
    out, counts = drop_and_refill(rows, pool, scores, pool_scores, drop=0.2)
    assert len(out) == len(rows) and counts == {"rows_in": 10, "dropped": 2, "refilled": 2, "rows": 10, "cut": 8.0}
    assert [r["completion"] for r in out] == [f"c{i}" for i in range(8)] + ["d1", "d3"]  # lowest pool scores first
    assert len({r["i"] for r in out}) == 10  # refilled rows get new ids
    short, counts = drop_and_refill(rows, pool[:1], scores, pool_scores[:1], drop=0.2)
    assert len(short) == 8 and counts["refilled"] == 0  # nothing in the pool under the cut: said, not hidden
