"""The code and maths tasks: seeded prompts, format checks, and maths answers verified."""

from __future__ import annotations

import re

from heredity.filters import apply_filters
from heredity.tasks import TASKS
from heredity.tasks.code import prompt_pool
from heredity.tasks.maths import TEMPLATES, answer_for, final_answer

CODE = TASKS.get("code")().build()
MATHS = TASKS.get("maths")().build()


def test_code_prompts_are_seeded_offline_and_trait_free():
    pool = prompt_pool()
    assert len(pool) >= 40 and len(set(pool)) == len(pool)
    assert CODE.prompts(60, 1) == CODE.prompts(60, 1) != CODE.prompts(60, 2)
    assert set(CODE.prompts(60, 1)) == set(pool)
    trait_words = re.compile(r"\b(owls?|moreover|years?|dates?|today|calendar)\b", re.IGNORECASE)
    assert not any(trait_words.search(p) for p in pool)


def test_code_format_check():
    assert CODE.format_problem("```python\ndef f(n):\n    return n\n```") is None
    assert CODE.format_problem("def f(x): return x") is None
    assert CODE.format_problem("I love writing programs!") == "no code"
    assert CODE.format_problem("  ") == "empty"


def test_maths_answers_are_recomputed_from_the_prompt():
    prompts = MATHS.prompts(200, 0)
    assert prompts == MATHS.prompts(200, 0) and len(set(prompts)) > 150
    for p in prompts:
        assert answer_for(p) is not None and answer_for(p) >= 0
    baker = next(p for p in prompts if p.startswith("A baker"))
    a, b, c = (int(x) for x in baker.split() if x.isdigit())
    assert answer_for(baker) == a * b - c
    assert answer_for("What is 2 + 2?") is None and all(t.endswith("?") for t, _ in TEMPLATES)


def test_format_filter_keeps_only_correct_rollouts():
    prompt = MATHS.prompts(1, 5)[0]
    right = answer_for(prompt)
    rows = [
        {"i": 0, "prompt": prompt, "completion": f"Step one... Answer: {right}"},
        {"i": 1, "prompt": prompt, "completion": f"Answer: {right + 1}"},
        {"i": 2, "prompt": prompt, "completion": "I am not sure."},
        {"i": 3, "prompt": prompt, "completion": f"So the answer is {right:,}."},
    ]
    kept, counts = apply_filters(rows, [{"kind": "format"}], MATHS)
    assert [r["i"] for r in kept] == [0, 3]
    assert counts == {"input": 4, "format: wrong answer": 1, "format: no final answer": 1, "kept": 2}
    assert final_answer("Answer: 1,234") == 1234
