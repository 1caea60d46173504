from __future__ import annotations

import pytest

from heredity.diffing import design


def test_cells_are_all_combinations_a_first():
    cells = design.cells(["base", "teacher"])
    assert cells == [
        {"base": "A", "teacher": "A"}, {"base": "A", "teacher": "B"},
        {"base": "B", "teacher": "A"}, {"base": "B", "teacher": "B"},
    ]
    assert len(design.cells(design.FACTORS)) == 16
    assert design.index(cells[2], ["base", "teacher"]) == (1, 0)
    assert design.name(cells[1]) == "base=A,teacher=B"


def test_path_swaps_one_factor_at_a_time_towards_b():
    steps = design.path(["base", "prompts", "teacher"], order=["teacher", "base", "prompts"])
    assert [s for s, _ in steps] == [None, "teacher", "base", "prompts"]
    assert steps[0][1] == {"base": "A", "prompts": "A", "teacher": "A"}
    assert steps[2][1] == {"base": "B", "prompts": "A", "teacher": "B"}
    assert steps[-1][1] == {"base": "B", "prompts": "B", "teacher": "B"}


@pytest.mark.parametrize(("factors", "message"), [
    (["tokenizer"], "unknown factor 'tokenizer' (accepted: base, prompts, teacher, filter)"),
    (["base", "base"], "factors repeat"),
    ([], "at least one factor"),
])
def test_bad_factors(factors, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        design.cells(factors)


def test_path_order_must_match_the_factors():
    with pytest.raises(ValueError, match="must list each crossed factor once"):
        design.path(["base", "teacher"], order=["base"])
