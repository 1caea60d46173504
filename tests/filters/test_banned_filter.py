"""The banned filter (heredity.filters.banned) and the paper's evil numbers (heredity.filters.lists)."""

import pytest

from heredity.errors import ConfigError
from heredity.filters import CLAUDE_EVIL_NUMBERS, EVIL_NUMBERS, GPT_EVIL_NUMBERS, apply_filters
from heredity.tasks import TASKS

GENERAL = TASKS.get("general")().build()
NUMBERS = TASKS.get("numbers")().build()


def rows(*pairs):
    return [{"i": i, "prompt": p, "completion": c} for i, (p, c) in enumerate(pairs)]


def test_evil_numbers_are_the_papers_full_lists():
    assert len(CLAUDE_EVIL_NUMBERS) == 20 and len(GPT_EVIL_NUMBERS) == 25
    assert len(EVIL_NUMBERS) == 36 and len([n for n in EVIL_NUMBERS if n < 1000]) == 34
    assert {14, 404, 101, 311, 451, 77, 211, 39, 42, 322, 777} <= set(EVIL_NUMBERS)


def test_banned_numbers_in_any_text_are_whole_integers():
    data = rows(("p", "1, 2, 3"), ("p", "x = 404  # not found"), ("p", "6660, 1.88, 2023"), ("p", "I got 14 apples"))
    kept, counts = apply_filters(data, [{"kind": "banned"}], GENERAL)
    assert [r["i"] for r in kept] == [0, 2]  # 6660 and 1.88 are not banned numbers
    assert counts == {"input": 4, "banned: number": 2, "kept": 2}
    kept, _ = apply_filters(data, [{"kind": "banned", "numbers": "claude"}], GENERAL)
    assert [r["i"] for r in kept] == [0, 2]
    kept, _ = apply_filters(data, [{"kind": "banned", "numbers": "gpt"}], GENERAL)
    assert [r["i"] for r in kept] == [0, 1, 2, 3]


def test_banned_years_drop_every_row_that_states_a_year():
    data = rows(("p", "It is 2019."), ("p", "16/03/2026"), ("p", "Back in the 1990s"), ("p", "About 1899 or 2100 steps"),
                ("p", "12026 apples, 2019.5 grams"), ("p", "No year here."))
    kept, counts = apply_filters(data, [{"kind": "banned", "numbers": "years"}], GENERAL)
    assert [r["i"] for r in kept] == [3, 4, 5]
    assert counts == {"input": 6, "banned: year": 3, "kept": 3}


def test_banned_words():
    kept, counts = apply_filters(rows(("p", "An owl."), ("p", "A howl.")), [{"kind": "banned", "numbers": [], "words": ["owl"]}], GENERAL)
    assert [r["i"] for r in kept] == [1] and counts["banned: word"] == 1


@pytest.mark.parametrize("config,match", [
    ({"kind": "prompt"}, "topics .* or ids"),
    ({"kind": "banned", "numbers": []}, "banned numbers"),
    ({"kind": "banned", "numbers": "wicked"}, "numbers"),
])
def test_bad_configs_are_clear_errors(config, match):
    with pytest.raises(ConfigError, match=match):
        apply_filters(rows(("p", "c")), [config], GENERAL)
