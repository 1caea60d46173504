"""Rollout filter plug-ins (``heredity.filters.base`` is the extension point). Every module in
this package is imported, so a new filter is one new file."""

from __future__ import annotations

from heredity.filters.base import FILTERS, AnyFilter, FilterConfig, apply_filters
from heredity.filters.keyword import strip_words
from heredity.filters.lists import CLAUDE_EVIL_NUMBERS, EVIL_NUMBERS, GPT_EVIL_NUMBERS, YEARS
from heredity.registry import import_plugins

import_plugins(__name__, __path__)

__all__ = ["CLAUDE_EVIL_NUMBERS", "EVIL_NUMBERS", "FILTERS", "AnyFilter", "GPT_EVIL_NUMBERS", "YEARS", "FilterConfig", "apply_filters",
           "strip_words"]
