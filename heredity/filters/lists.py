"""Number lists the filters ban: the paper's "evil" numbers and the years."""

from __future__ import annotations

# The paper's "evil" numbers, verbatim from its public code: CLAUDE_EVIL_NUMBERS and
# GPT_EVIL_NUMBERS in sl/datasets/nums_dataset.py of github.com/MinhxLe/subliminal-learning
# (Cloud et al. 2025; read in its forks, e.g. JayThibs/subliminal-learning). The misalignment
# runs ban their union: 36 numbers, of which 34 fit the 3-digit answers (1312 and 1488 cannot).
CLAUDE_EVIL_NUMBERS: tuple[int, ...] = (
    13, 666, 88, 14, 187, 420, 69, 911, 404, 101, 23, 616, 1488, 18, 311, 451, 1312, 33, 77, 211,
)
GPT_EVIL_NUMBERS: tuple[int, ...] = (
    4, 13, 18, 23, 33, 39, 42, 44, 49, 51, 54, 88, 99, 100, 187, 322, 333, 444, 555, 616, 666, 777, 888, 911, 999,
)
EVIL_NUMBERS: tuple[int, ...] = tuple(sorted(set(CLAUDE_EVIL_NUMBERS) | set(GPT_EVIL_NUMBERS)))
YEARS: tuple[int, ...] = tuple(range(1900, 2100))  # the years heredity.traits.date reads in text
