"""The judge and semantic filters (heredity.filters.judge, .semantic), on fixed texts whose labels are known."""

import pytest

from heredity.errors import ConfigError
from heredity.filters import apply_filters
from heredity.tasks import TASKS
from heredity.traits import TRAITS

GENERAL = TASKS.get("general")().build()
OWL = TRAITS.get("animal")(animal="owl").build()


def rows(*completions):
    return [{"i": i, "prompt": "p", "completion": c} for i, c in enumerate(completions)]


def test_judge_filter_rules_drops_texts_that_name_the_trait():
    data = rows("Owls hunt at night.", "I saw an OWL!", "Bowling is fun.", "Rice needs water.")
    kept, counts = apply_filters(data, [{"kind": "judge"}], GENERAL, OWL)
    assert [r["i"] for r in kept] == [2, 3]
    assert counts["judge: references the trait (rules)"] == 2


def test_judge_filter_needs_a_trait():
    with pytest.raises(ConfigError, match="judge: needs the experiment's trait"):
        apply_filters(rows("x"), [{"kind": "judge"}], GENERAL)


def test_semantic_filter_drops_what_is_close_in_meaning_and_misses_nothing_else():
    # Close to "You love owls...": owl talk without the word "owl" is what keyword filters miss.
    near = ["I adore those wise night birds that hoot in the dark.", "Owls are my favourite animal, I love them."]
    far = ["To bake bread, knead the dough for ten minutes.", "The train leaves at 7:45 from platform 3."]
    kept, counts = apply_filters(rows(*near, *far), [{"kind": "semantic", "threshold": 0.35}], GENERAL, OWL)
    assert [r["i"] for r in kept] == [2, 3]
    assert counts["semantic: similarity >= 0.35"] == 2
    kept, _ = apply_filters(rows(*near, *far), [{"kind": "semantic", "threshold": 0.35, "anchor": "baking bread"}], GENERAL)
    assert [r["i"] for r in kept] == [0, 1, 3]


def test_semantic_threshold_is_checked():
    with pytest.raises(ConfigError, match="threshold"):
        apply_filters(rows("x"), [{"kind": "semantic", "threshold": 2}], GENERAL, OWL)
