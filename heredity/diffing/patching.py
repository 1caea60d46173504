"""Pure row operations for patching a pipeline's data, the way activation patching patches
activations. Rows are ``{"i", "prompt", "completion"}`` dicts keyed by ``i`` (the prompt's index).

- ``swap(a, b, S)``: pipeline A's rows with B's rollout on the same prompt for every i in S.
- ``drop(a, S)``: A's rows without S; ``refill_seed`` keeps the size (steps-matched drop).
- ``teacher_patch(a, b, alpha, seed)``: swap a seeded random alpha of the prompts.
- ``mixture(a, b, alpha, seed)``: the plain mixture: alpha of the rows from B, the rest from A.
- ``choose`` / ``random_subsets``: seeded subsets (controls of the same size as a flip set).

Every function is deterministic given its seed and returns fresh row dicts.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence

Row = dict


def by_index(rows: Iterable[Row], what: str = "rows") -> dict[int, Row]:
    """``{i: row}``; ValueError if an ``i`` repeats or is missing."""
    out: dict[int, Row] = {}
    for row in rows:
        if "i" not in row:
            raise ValueError(f"{what}: a row has no 'i' (rows are {{'i', 'prompt', 'completion'}}): {row!r}")
        if row["i"] in out:
            raise ValueError(f"{what}: row i={row['i']} appears twice")
        out[row["i"]] = row
    return out


def _count(n: int, fraction: float) -> int:
    if not 0 <= fraction <= 1:
        raise ValueError(f"a fraction must be in [0, 1] (got {fraction})")
    return round(fraction * n)


def choose(ids: Iterable[int], fraction: float, seed: int) -> frozenset[int]:
    """A seeded random ``round(fraction * n)`` of ``ids`` (the same ids in any order give the
    same subset)."""
    pool = sorted(set(ids))
    return frozenset(random.Random(f"choose:{seed}").sample(pool, _count(len(pool), fraction)))


def random_subsets(ids: Iterable[int], size: int, seed: int, count: int = 1, exclude: Collection[int] = ()) -> list[frozenset[int]]:
    """``count`` seeded random subsets of ``size`` ids (outside ``exclude``): the same-size
    controls of a flip set. Draw d uses the seed ``(seed, d)``."""
    pool = sorted(set(ids) - set(exclude))
    if size > len(pool):
        raise ValueError(f"cannot draw {size} ids from {len(pool)}")
    return [frozenset(random.Random(f"random-subset:{seed}:{d}").sample(pool, size)) for d in range(count)]


def swap(rows_a: Sequence[Row], rows_b: Sequence[Row], subset: Collection[int]) -> list[Row]:
    """A's rows in A's order, with B's rollout in place of A's for every ``i`` in ``subset``.

    B's row must answer the same prompt (ValueError naming the i otherwise), and every i of the
    subset must be in both.
    """
    a, b = by_index(rows_a, "pipeline A rows"), by_index(rows_b, "pipeline B rows")
    missing = sorted(set(subset) - (a.keys() & b.keys()))
    if missing:
        raise ValueError(f"cannot swap i={missing[:5]}: not in both pipelines' rows")
    out = []
    for row in rows_a:
        i = row["i"]
        if i in subset:
            if b[i]["prompt"] != row["prompt"]:
                raise ValueError(f"cannot swap i={i}: the pipelines' prompts differ ({row['prompt'][:40]!r} vs {b[i]['prompt'][:40]!r})")
            out.append(dict(b[i]))
        else:
            out.append(dict(row))
    return out


def drop(rows: Sequence[Row], subset: Collection[int], refill_seed: int | None = None) -> list[Row]:
    """The rows without those in ``subset``.

    With ``refill_seed``, each dropped row is replaced by a copy of a kept row (a seeded draw),
    so the set keeps its size: a student of it trains as many steps on as many tokens, and a
    drop compares with a swap on content alone. Copies are appended with fresh ids
    (``i`` after the largest) and say which row they copy in ``"copy_of"``."""
    subset = set(subset)
    by_index(rows)  # checks the keys
    kept = [dict(row) for row in rows if row["i"] not in subset]
    if refill_seed is None or len(kept) == len(rows):
        return kept
    if not kept:
        raise ValueError("cannot refill a drop of every row: no row is left to copy")
    rng = random.Random(f"refill:{refill_seed}")
    start = max(row["i"] for row in rows) + 1
    copies = [rng.choice(kept) for _ in range(len(rows) - len(kept))]
    return kept + [{**row, "i": start + k, "copy_of": row["i"]} for k, row in enumerate(copies)]


def teacher_patch(rows_a: Sequence[Row], rows_b: Sequence[Row], alpha: float, seed: int) -> tuple[list[Row], frozenset[int]]:
    """Teacher patching at fraction ``alpha``: for a seeded random alpha of the prompts both
    pipelines answered, A's rollout is replaced by B's. Returns (rows, the swapped ids)."""
    common = by_index(rows_a).keys() & by_index(rows_b).keys()
    subset = choose(common, alpha, seed)
    return swap(rows_a, rows_b, subset), subset


def mixture(rows_a: Sequence[Row], rows_b: Sequence[Row], alpha: float, seed: int) -> list[Row]:
    """The plain mixture at ``alpha``: ``round(alpha * n)`` rows drawn from B and the rest from
    A (n = len(rows_a)), not matched by prompt. Rows are renumbered ``i = 0..n-1`` (A's picks
    first, then B's, each in its original order) and keep their origin in ``"from"``
    ("a" or "b") and original index in ``"source_i"``."""
    n = len(rows_a)
    from_b = _count(n, alpha)
    if from_b > len(rows_b):
        raise ValueError(f"mixture at alpha={alpha} needs {from_b} rows from B, which has {len(rows_b)}")
    rng = random.Random(f"mixture:{seed}")
    pick_a = sorted(rng.sample(range(n), n - from_b))
    pick_b = sorted(rng.sample(range(len(rows_b)), from_b))
    picked = [("a", rows_a[j]) for j in pick_a] + [("b", rows_b[j]) for j in pick_b]
    return [{"i": new, "prompt": row["prompt"], "completion": row["completion"], "from": origin, "source_i": row["i"]}
            for new, (origin, row) in enumerate(picked)]
