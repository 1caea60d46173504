"""Trait plug-ins. Every module in this package is imported, so a new trait is one new file
(see ``heredity.traits.base`` for the extension point)."""

from __future__ import annotations

from heredity.registry import import_plugins
from heredity.traits.base import TRAITS, AnyTrait, Trait, TraitConfig

import_plugins(__name__, __path__)

__all__ = ["TRAITS", "AnyTrait", "Trait", "TraitConfig"]
