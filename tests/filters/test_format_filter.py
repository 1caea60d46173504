"""The format filter (heredity.filters.format): the task's own check, and banned numbers for number tasks."""

import pytest

from heredity.errors import ConfigError
from heredity.filters import EVIL_NUMBERS, apply_filters
from heredity.tasks import TASKS

NUMBERS = TASKS.parse({"kind": "numbers"}).build()
GENERAL = TASKS.parse({"kind": "general"}).build()


def rows(*completions):
    return [{"i": i, "prompt": "p", "completion": c} for i, c in enumerate(completions)]


def test_format_filter_on_paper_examples():
    data = rows("145, 267, 891", "(1; 2; 3).", "Here are the numbers: 1, 2, 3", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11", "5, 1000", "owl")
    kept, counts = apply_filters(data, [{"kind": "format"}], NUMBERS)
    assert [r["i"] for r in kept] == [0, 1]
    assert counts == {"input": 6, "kept": 2, "format: not a number list": 2, "format: too many numbers": 1, "format: number out of range": 1}


def test_banned_numbers():
    data = rows("1, 2, 3", "1, 666, 3", "12, 13")
    kept, counts = apply_filters(data, [{"kind": "format", "banned_numbers": "evil"}], NUMBERS)
    assert [r["i"] for r in kept] == [0] and counts["format: banned number"] == 2
    kept, _ = apply_filters(data, [{"kind": "format", "banned_numbers": [2]}], NUMBERS)
    assert [r["i"] for r in kept] == [1, 2]
    assert 666 in EVIL_NUMBERS and 911 in EVIL_NUMBERS


def test_banned_numbers_need_a_number_task():
    with pytest.raises(ConfigError, match="number tasks"):
        apply_filters(rows("hello"), [{"kind": "format", "banned_numbers": [1]}], GENERAL)


def test_format_filter_evil_list_is_the_full_list():
    kept, counts = apply_filters(rows("1, 2, 3", "404, 5", "12, 777"), [{"kind": "format", "banned_numbers": "evil"}], NUMBERS)
    assert [r["i"] for r in kept] == [0] and counts["format: banned number"] == 2
