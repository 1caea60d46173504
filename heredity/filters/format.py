"""``format``: the task's own format check (``task.format_problem``); for number tasks an optional
banned-numbers list (``"evil"``: the paper's misalignment list, ``heredity.filters.lists``)."""

from __future__ import annotations

from typing import Literal

from heredity.errors import ConfigError
from heredity.filters.base import FILTERS, FilterConfig
from heredity.filters.lists import EVIL_NUMBERS


@FILTERS.register("format")
class FormatFilter(FilterConfig):
    kind: Literal["format"] = "format"
    banned_numbers: list[int] | Literal["evil"] = []

    def _banned(self) -> frozenset[int]:
        return frozenset(EVIL_NUMBERS if self.banned_numbers == "evil" else self.banned_numbers)

    def check(self, row, task, trait):
        problem = task.row_problem(row)
        if problem is not None:
            return None, f"format: {problem}"
        banned = self._banned()
        if banned:
            from heredity.tasks.numbers import parse_number_list

            numbers = parse_number_list(row["completion"])
            if numbers is None:
                raise ConfigError(f"filters: format: banned_numbers only applies to number tasks (task is {task.name!r})")
            if banned.intersection(numbers):
                return None, "format: banned number"
        return row, None
