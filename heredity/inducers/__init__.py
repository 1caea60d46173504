"""Inducers: how a teacher gets its trait. Every module in this package is imported, so a new
inducer is one new file (see ``heredity.inducers.base``)."""

from __future__ import annotations

from heredity.inducers.base import INDUCERS, AnyInducer, InducerConfig
from heredity.registry import import_plugins

import_plugins(__name__, __path__)

__all__ = ["INDUCERS", "AnyInducer", "InducerConfig"]
