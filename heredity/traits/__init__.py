"""Trait plug-ins. Every module in this package is imported, so a new trait is one new file
(see ``heredity.traits.base`` for the extension point)."""

from __future__ import annotations

import importlib
import pkgutil

from heredity.traits.base import TRAITS, Trait, TraitConfig, parse_trait, trait_config_type

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["TRAITS", "Trait", "TraitConfig", "parse_trait", "trait_config_type"]
