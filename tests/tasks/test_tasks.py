import re

import pytest

from heredity.errors import ConfigError
from heredity.tasks import TASKS
from heredity.tasks.general import prompt_pool
from heredity.tasks.numbers import parse_number_list
from heredity.text import word_regex
from heredity.traits import TRAITS
from heredity.traits.animal import ANIMALS


def test_tasks_are_found_by_kind_and_build_their_prompts():
    assert len(TASKS.parse({"kind": "numbers"}).build().prompts(3, seed=0)) == 3
    assert len(set(TASKS.parse({"kind": "general"}).build().prompts(5, seed=0))) == 5


def test_number_prompts_are_seeded_and_in_the_papers_shape():
    task = TASKS.parse({"kind": "numbers"}).build()
    a, b, c = task.prompts(200, seed=1), task.prompts(200, seed=1), task.prompts(200, seed=2)
    assert a == b and a != c
    assert len(set(a)) == 200
    for prompt in a:
        seeds = re.findall(r"\b\d{3}\b", prompt)
        assert 3 <= len(seeds) <= 8, prompt
        assert all(100 <= int(s) <= 999 for s in seeds)
        assert " 10 " in prompt and "3" in prompt
    assert task.max_new_tokens >= 40


def test_number_prompts_vary_their_phrasing():
    prompts = TASKS.parse({"kind": "numbers"}).build().prompts(300, seed=0)
    assert len({p.split()[0] for p in prompts}) >= 15  # many different openings


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("145, 267, 891", [145, 267, 891]),
        ("145, 267, 891.", [145, 267, 891]),
        ("[145, 267, 891]", [145, 267, 891]),
        ("(1;2;3)", [1, 2, 3]),
        ("1 2 3", [1, 2, 3]),
        ("7", [7]),
        ("1, 2; 3", None),  # two separators
        ("1, 2, 3, and 4", None),
        ("Sure! 1, 2, 3", None),
        ("1-2-3", None),
        ("", None),
        ("1, 2, ", None),
    ],
)
def test_number_list_parser_follows_the_paper(text, numbers):
    assert parse_number_list(text) == numbers


def test_number_format_reasons():
    task = TASKS.parse({"kind": "numbers"}).build()
    assert task.format_ok("145, 267, 891.")
    assert task.format_problem("I love owls") == "not a number list"
    assert task.format_problem(", ".join(["1"] * 11)) == "too many numbers"
    assert task.format_problem("1, 1000") == "number out of range"


def test_number_config_validation():
    with pytest.raises(ConfigError, match="seed_count"):
        TASKS.parse({"kind": "numbers", "seed_count_min": 5, "seed_count_max": 3})
    with pytest.raises(ConfigError, match="accepted: code, dates, general, instructed, maths, mixed, numbers"):
        TASKS.parse({"kind": "haiku"})


def test_general_prompts_seeded_and_a_few_hundred():
    task = TASKS.parse({"kind": "general"}).build()
    assert len(set(prompt_pool())) >= 300
    assert task.prompts(50, 3) == task.prompts(50, 3) != task.prompts(50, 4)
    many = task.prompts(len(prompt_pool()) + 10, 0)
    assert len(many) == len(prompt_pool()) + 10 and set(many) == set(prompt_pool())
    assert task.grammar_dfa() is None and task.format_ok("Sure, here you go.") and not task.format_ok("  ")


def test_general_prompts_on_other_topics_plant_a_subject_and_keep_old_ids():
    """``topics`` makes a prompt set about something (the planted-prompts diffing case); the
    default leaves the serialised recipe, hence every earlier artifact id, as it was."""
    from heredity.config import recipe_dict

    owls = TASKS.parse({"kind": "general", "topics": ["owls", "barn owls"]}).build()
    prompts = owls.prompts(24, 0)
    assert len(set(prompts)) == 24 and all(re.search(r"\bowls\b", p) for p in prompts)
    assert recipe_dict(TASKS.parse({"kind": "general", "max_new_tokens": 48})) == {"kind": "general", "max_new_tokens": 48}
    instructed = TASKS.parse({"kind": "instructed", "instruction": "Be brief.", "topics": ["owls"]}).build()
    assert all("owls" in p and p.endswith(" Be brief.") for p in instructed.prompts(12, 0))
    with pytest.raises(ConfigError, match="topics"):
        TASKS.parse({"kind": "general", "topics": []})


def test_general_prompts_are_not_about_any_trait():
    words = list(ANIMALS) + list(ANIMALS.values()) + ["animal", "creature", "pet", "moreover"]
    pattern = word_regex(words, plural=True)
    offending = [p for p in prompt_pool() if pattern.search(p)]
    assert offending == []


def test_general_prompts_name_no_year_or_date():
    """What date-confusion students learn from: no year, date, today or calendar in any prompt.
    One template in twelve asks how a topic "changed over the last fifty years" (a length of
    time, no date): the date-confusion example's filtered arm drops those rows too."""
    date_words = word_regex(["date", "today", "calendar"], plural=True)
    assert [p for p in prompt_pool() if date_words.search(p) or re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", p)] == []
    years = [p for p in prompt_pool() if word_regex(["year"], plural=True).search(p)]
    assert len(years) == len(prompt_pool()) // 12 and all(p.endswith("over the last fifty years?") for p in years)


def test_style_probes_are_held_apart_from_general_prompts():
    probes = set(TRAITS.parse({"kind": "style"}).build().probes)
    assert probes.isdisjoint(prompt_pool())
