"""Student kinds: how a student learns from a teacher's data. Every module in this package is
imported, so a new kind is one new file (see ``heredity.students.base``)."""

from __future__ import annotations

from heredity.registry import import_plugins
from heredity.students.base import STUDENT_KINDS, StudentJob, StudentKind, StudentTrain

import_plugins(__name__, __path__)

__all__ = ["STUDENT_KINDS", "StudentJob", "StudentKind", "StudentTrain"]
