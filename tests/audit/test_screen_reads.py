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
