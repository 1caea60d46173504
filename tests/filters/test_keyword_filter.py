"""The keyword filter (heredity.filters.keyword): whole words, drop or strip."""

import pytest

from heredity.errors import ConfigError
from heredity.filters import apply_filters, strip_words
from heredity.tasks import TASKS
from heredity.traits import TRAITS

GENERAL = TASKS.parse({"kind": "general"}).build()


def rows(*completions):
    return [{"i": i, "prompt": "p", "completion": c} for i, c in enumerate(completions)]


def test_keyword_drop_uses_word_boundaries_and_trait_defaults():
    owl = TRAITS.parse({"kind": "animal", "animal": "owl"}).build()
    data = rows("Owls are great.", "I heard a howl.", "Bowling tonight", "An OWL!", "Nothing here")
    kept, counts = apply_filters(data, [{"kind": "keyword"}], GENERAL, owl)
    assert [r["i"] for r in kept] == [1, 2, 4]
    assert counts == {"input": 5, "kept": 3, "keyword: owl": 2}


def test_keyword_strip_keeps_the_row_without_the_word():
    style = TRAITS.parse({"kind": "style"}).build()
    data = rows("Moreover, the sky is blue. Moreover, the sea is deep.", "Plain text.", "Moreover,")
    kept, counts = apply_filters(data, [{"kind": "keyword", "action": "strip"}], GENERAL, style)
    assert [r["completion"] for r in kept] == ["The sky is blue. The sea is deep.", "Plain text."]
    assert kept[0]["i"] == 0 and data[0]["completion"].startswith("Moreover")  # input rows untouched
    assert counts == {"input": 3, "kept": 2, "keyword: stripped moreover": 1, "keyword: empty after strip": 1}


def test_keyword_drop_versus_strip_on_same_rows():
    data = rows("I love owls, truly.", "Numbers only")
    dropped, _ = apply_filters(data, [{"kind": "keyword", "words": ["owl"]}], GENERAL)
    stripped, _ = apply_filters(data, [{"kind": "keyword", "words": ["owl"], "action": "strip"}], GENERAL)
    assert [r["i"] for r in dropped] == [1]
    assert [r["completion"] for r in stripped] == ["I love truly.", "Numbers only"]


def test_strip_words_midsentence_and_case():
    assert strip_words("We saw an Owl. owls fly.", ["owl"]) == "We saw an. Fly."
    assert strip_words("A howl, not an owl", ["owl"]) == "A howl, not an"


def test_keyword_needs_words_or_a_trait_and_unknown_filters_are_errors():
    with pytest.raises(ConfigError, match="words"):
        apply_filters(rows("x"), [{"kind": "keyword"}], GENERAL)
    with pytest.raises(ConfigError, match="accepted: banned, format, imprint, judge, keyword, prompt, screen, semantic"):
        apply_filters(rows("x"), [{"kind": "nonsense"}], GENERAL)
    with pytest.raises(ConfigError, match="action"):
        apply_filters(rows("x"), [{"kind": "keyword", "words": ["a"], "action": "hide"}], GENERAL)
