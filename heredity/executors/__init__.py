"""Executors: how independent cells of an experiment are bred. Every module in this package is
imported, so a new executor is one new file (see ``heredity.executors.base``)."""

from __future__ import annotations

from heredity.executors.base import EXECUTORS, Executor
from heredity.registry import import_plugins

import_plugins(__name__, __path__)

__all__ = ["EXECUTORS", "Executor"]
