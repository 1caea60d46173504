"""The 2^k factorial design of a diff: every combination of the crossed factors at level A or B.

A cell is a dict ``{factor: "A" | "B"}`` over the crossed factors (k <= 4, among base, prompts,
teacher, filter); factors that are not crossed stay at pipeline A's setting in every cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

FACTORS: tuple[str, ...] = ("base", "prompts", "teacher", "filter")
Level = Literal["A", "B"]
LEVELS: tuple[Level, Level] = ("A", "B")
Cell = dict[str, Level]


def check_factors(factors: Sequence[str]) -> tuple[str, ...]:
    """The factors as a tuple; ValueError naming the problem when one is unknown or repeated."""
    factors = tuple(factors)
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        raise ValueError(f"unknown factor {unknown[0]!r} (accepted: {', '.join(FACTORS)})")
    if len(set(factors)) != len(factors):
        raise ValueError(f"factors repeat: {list(factors)} (each of {', '.join(FACTORS)} at most once)")
    if not factors:
        raise ValueError(f"give at least one factor to cross (accepted: {', '.join(FACTORS)})")
    return factors


def cells(factors: Sequence[str]) -> list[Cell]:
    """All 2^k cells, A-first binary order with the first factor varying slowest:
    for (base, teacher): AA, AB, BA, BB."""
    factors = check_factors(factors)
    return [dict(zip(factors, levels, strict=True)) for levels in itertools.product(LEVELS, repeat=len(factors))]


def key(cell: Cell, factors: Sequence[str]) -> tuple[str, ...]:
    """The cell as a tuple of levels in factor order (a hashable key for per-cell data)."""
    return tuple(cell[f] for f in factors)


def index(cell: Cell, factors: Sequence[str]) -> tuple[int, ...]:
    """The cell's position in an array of shape (2,)*k: A -> 0, B -> 1."""
    return tuple(0 if cell[f] == "A" else 1 for f in factors)


def name(cell: Cell) -> str:
    """A short label: ``base=A,teacher=B``."""
    return ",".join(f"{f}={level}" for f, level in cell.items())


def path(factors: Sequence[str], order: Sequence[str] | None = None) -> list[tuple[str | None, Cell]]:
    """The path view: pipeline A, then one factor swapped to B at a time (cumulatively), in
    ``order`` (default: the factors' order), ending at pipeline B. k + 1 steps of
    ``(factor swapped at this step or None for the start, cell)``."""
    factors = check_factors(factors)
    order = tuple(order) if order is not None else factors
    if sorted(order) != sorted(factors):
        raise ValueError(f"path order {list(order)} must list each crossed factor once ({list(factors)})")
    current: Cell = {f: "A" for f in factors}
    steps: list[tuple[str | None, Cell]] = [(None, dict(current))]
    for factor in order:
        current[factor] = "B"
        steps.append((factor, dict(current)))
    return steps
