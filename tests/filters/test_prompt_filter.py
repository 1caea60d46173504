"""The prompt filter (heredity.filters.prompt): rows removed by their prompt's topic or id."""

from heredity.filters import apply_filters
from heredity.tasks import TASKS

GENERAL = TASKS.get("general")().build()


def rows(*pairs):
    return [{"i": i, "prompt": p, "completion": c} for i, (p, c) in enumerate(pairs)]


def test_prompt_removal_by_topic_and_id():
    data = rows(("Tell me about owls", "a"), ("Tell me about bowls", "b"), ("Weather?", "c"), ("Dates?", "d"))
    kept, counts = apply_filters(data, [{"kind": "prompt", "topics": ["owl"], "ids": [3]}], GENERAL)
    assert [r["i"] for r in kept] == [1, 2]
    assert counts == {"input": 4, "prompt: topic owl": 1, "prompt: id listed": 1, "kept": 2}
