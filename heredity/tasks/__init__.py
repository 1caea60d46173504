"""Teacher-task plug-ins. Every module in this package is imported, so a new task is one new
file (see ``heredity.tasks.base`` for the extension point)."""

from __future__ import annotations

from heredity.registry import import_plugins
from heredity.tasks.base import TASKS, AnyTask, Task, TaskConfig

import_plugins(__name__, __path__)

__all__ = ["TASKS", "AnyTask", "Task", "TaskConfig"]
