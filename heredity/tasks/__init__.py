"""Teacher-task plug-ins. Every module in this package is imported, so a new task is one new
file (see ``heredity.tasks.base`` for the extension point)."""

from __future__ import annotations

import importlib
import pkgutil

from heredity.tasks.base import TASKS, Task, TaskConfig, parse_task, task_config_type

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["TASKS", "Task", "TaskConfig", "parse_task", "task_config_type"]
