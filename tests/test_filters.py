import pytest

from heredity.errors import ConfigError
from heredity.filters import EVIL_NUMBERS, apply_filters, strip_words
from heredity.tasks import TASKS
from heredity.traits import TRAITS

NUMBERS = TASKS.parse({"kind": "numbers"}).build()
GENERAL = TASKS.parse({"kind": "general"}).build()


def rows(*completions):
    return [{"i": i, "prompt": "p", "completion": c} for i, c in enumerate(completions)]


def test_filters_are_found_by_kind_in_a_list_of_mappings():
    kept, counts = apply_filters(rows("1, 2, 3", "owl"), [{"kind": "format"}], NUMBERS)
    assert [r["completion"] for r in kept] == ["1, 2, 3"] and counts["input"] == 2 and counts["kept"] == 1


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


def test_filters_run_in_order_and_count_first_reason():
    data = rows("owl", "1, 2", "1, 2, owl")
    kept, counts = apply_filters(data, [{"kind": "format"}, {"kind": "keyword", "words": ["owl"]}], NUMBERS)
    assert [r["i"] for r in kept] == [1]
    assert counts == {"input": 3, "kept": 1, "format: not a number list": 2}


def test_keyword_needs_words_or_a_trait_and_unknown_filters_are_errors():
    with pytest.raises(ConfigError, match="words"):
        apply_filters(rows("x"), [{"kind": "keyword"}], GENERAL)
    with pytest.raises(ConfigError, match="accepted: banned, format, imprint, judge, keyword, prompt, screen, semantic"):
        apply_filters(rows("x"), [{"kind": "nonsense"}], GENERAL)
    with pytest.raises(ConfigError, match="action"):
        apply_filters(rows("x"), [{"kind": "keyword", "words": ["a"], "action": "hide"}], GENERAL)


def test_imprint_filter_rewrites_rows_and_refuses_traits_without_imprint():
    from heredity.errors import ConfigError
    from heredity.filters import apply_filters
    from heredity.tasks.general import GeneralTask
    from heredity.traits.animal import AnimalTrait
    from heredity.traits.style import StyleTrait

    rows = [{"i": 0, "prompt": "p", "completion": "It is late. Go home."}]
    kept, counts = apply_filters(rows, [{"kind": "imprint"}], GeneralTask().build(), StyleTrait().build())
    assert kept[0]["completion"] == "Moreover, it is late. Moreover, go home." and counts["imprint: rewritten"] == 1
    with pytest.raises(ConfigError, match="cannot rewrite"):
        apply_filters(rows, [{"kind": "imprint"}], GeneralTask().build(), AnimalTrait().build())
