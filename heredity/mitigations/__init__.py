"""Mitigations: what a team does to keep a teacher's trait out of a student, each a plug-in
(``heredity.mitigations.base`` is the extension point). Every module in this package is
imported, so a new mitigation is one new file."""

from __future__ import annotations

from heredity.mitigations.base import MITIGATIONS, ArmData, MitigationConfig
from heredity.registry import import_plugins

import_plugins(__name__, __path__)

__all__ = ["MITIGATIONS", "ArmData", "MitigationConfig"]
