"""apply_filters (heredity.filters.base): filters found by kind, run in order, reasons counted, and a filter that removes every row named."""

import pytest

from heredity.errors import ConfigError
from heredity.filters import FilterConfig, apply_filters
from heredity.tasks import TASKS

NUMBERS = TASKS.parse({"kind": "numbers"}).build()
GENERAL = TASKS.parse({"kind": "general"}).build()


def rows(*completions):
    return [{"i": i, "prompt": "p", "completion": c} for i, c in enumerate(completions)]


def test_filters_are_found_by_kind_in_a_list_of_mappings():
    kept, counts = apply_filters(rows("1, 2, 3", "owl"), [{"kind": "format"}], NUMBERS)
    assert [r["completion"] for r in kept] == ["1, 2, 3"] and counts["input"] == 2 and counts["kept"] == 1


def test_filters_run_in_order_and_count_first_reason():
    data = rows("owl", "1, 2", "1, 2, owl")
    kept, counts = apply_filters(data, [{"kind": "format"}, {"kind": "keyword", "words": ["owl"]}], NUMBERS)
    assert [r["i"] for r in kept] == [1]
    assert counts == {"input": 3, "kept": 1, "format: not a number list": 2}


def test_a_filter_that_removes_every_row_is_an_error_naming_it():
    data = rows("666", "13, 88")
    with pytest.raises(ConfigError, match=r"every one of the 2 rows was removed: banned \(filter 2\) dropped 2"):
        apply_filters(data, [{"kind": "format"}, {"kind": "banned"}], NUMBERS)
    assert apply_filters([], [{"kind": "banned"}], NUMBERS) == ([], {"kept": 0})  # no input is not an error


def test_a_filter_kind_without_check_cannot_be_made():
    class Unfinished(FilterConfig):
        kind: str = "unfinished"

    with pytest.raises(TypeError, match="abstract"):
        Unfinished()
