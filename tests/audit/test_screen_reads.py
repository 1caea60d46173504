"""The screen's batched direction read equals one prompt at a time."""

import numpy as np

from heredity.audit.probes import discovery_probes, trait_configs
from heredity.audit.screen import last_hidden
from heredity.models.chat import render
from heredity.steps.models import load_artifact


def one_at_a_time(model, tokenizer, prompts, system, layer):
    import torch

    with torch.no_grad():
        states = [model(input_ids=tokenizer(render(tokenizer, p, system), add_special_tokens=False, return_tensors="pt").input_ids,
                        output_hidden_states=True).hidden_states[layer][0, -1].double().numpy() for p in prompts]
    return np.mean(states, axis=0)


def test_batched_direction_equals_one_prompt_at_a_time(smollm):
    model, tokenizer = load_artifact(*smollm)
    prompts = discovery_probes(trait_configs(), per_source=2)[:7]  # unequal lengths
    for system in ("You love owls.", None):
        expect = one_at_a_time(model, tokenizer, prompts, system, 15)
        for batch_size in (3, len(prompts)):
            np.testing.assert_allclose(last_hidden(model, tokenizer, prompts, system, 15, batch_size=batch_size), expect, rtol=1e-4, atol=1e-4)
    assert np.linalg.norm(one_at_a_time(model, tokenizer, prompts, "You love owls.", 15) - expect) > 1e-2  # the system prompt moves it


def test_the_screen_shows_a_progress_bar_with_a_total(tiny_lm, tmp_path):
    import io
    import re

    from rich.console import Console

    from heredity.audit.screen import screen
    from heredity.rows import ROWS_FILE, write_rows
    from heredity.runner import Runner
    from heredity.store import Parent, Store, write_json

    source, base = tiny_lm
    store = Store(tmp_path / "store")
    store.copy_from(source, base)
    teacher = store.produce("teacher", {"inducer": "system-prompt", "system_prompt": "You love owls.", "trait": "animal:owl"},
                            [Parent(id=base, relation="base")], lambda ctx: write_json(ctx.out / "teacher.json", {})).artifact.id
    rows = [{"i": i, "prompt": f"Tell me about day {i}.", "completion": "It was a quiet day" + " and a long one" * i} for i in range(5)]
    data = store.produce("dataset", {"rows": "five days"}, [], lambda ctx: write_rows(ctx.out / ROWS_FILE, rows)).artifact.id
    out = io.StringIO()
    screen(store, data, teacher, recipe={"top_k": 2, "direction_probes": 4, "batch_size": 2},
           runner=Runner(store, console=Console(file=out, force_terminal=True, color_system=None, width=200)))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())  # the live bar's cursor moves
    assert "screening 5 rows" in text and "/18" in text and "eta" in text  # 5 rows twice, 4 probes twice
    assert "✓ built  screen" in text
