"""Judges: score free text on a trait's rubric (rules, embedding classifier, language model).

Every module in this package is imported, so a new judge kind is one new file that registers
into ``JUDGES`` (see ``heredity.judges.base``).
"""

from __future__ import annotations

import importlib
import pkgutil

from heredity.judges.base import (
    JUDGES,
    Agreement,
    AnyJudge,
    Judge,
    JudgeConfig,
    Rubric,
    agreement,
    lazy_scorer,
    load_rubrics,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base",):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["JUDGES", "Agreement", "AnyJudge", "Judge", "JudgeConfig", "Rubric", "agreement", "lazy_scorer", "load_rubrics"]
