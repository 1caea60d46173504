"""The screen's one-pass read (``completion_reads``) equals the separate log-likelihood and
activation reads, on SmolLM2 and rows of unequal prompt and completion lengths."""

import numpy as np
import pytest

from heredity.models.teacher_forced import completion_reads, completion_states, token_logprobs
from heredity.steps.models import load_artifact

ROWS = [
    {"prompt": "Name a bird.", "completion": "An owl."},
    {"prompt": "Write one sentence about the sea, please, in a calm voice.", "completion": "The sea rests under a grey sky."},
    {"prompt": "What is 2 + 2?", "completion": "4"},
    {"prompt": "Tell me about forests.", "completion": "Forests hold most of the land's species, and owls hunt in them at night."},
    {"prompt": "Hi", "completion": "Hello! How can I help you today?"},
]


@pytest.mark.parametrize("system", [None, "You love owls."])
def test_one_pass_equals_the_separate_reads(smollm, system):
    model, tokenizer = load_artifact(*smollm)
    expect_lp = token_logprobs(model, tokenizer, ROWS, system=system, batch_size=2)
    expect_h = completion_states(model, tokenizer, ROWS, system=system, layer=15, batch_size=2)
    for batch_size in (2, len(ROWS)):
        logprobs, states = completion_reads(model, tokenizer, ROWS, system=system, layer=15, batch_size=batch_size)
        assert [x.shape for x in logprobs] == [x.shape for x in expect_lp]
        for got, expect in zip(logprobs, expect_lp, strict=True):
            np.testing.assert_allclose(got, expect, rtol=1e-4, atol=2e-4)
        np.testing.assert_allclose(states, expect_h, rtol=1e-4, atol=1e-4)
    only, none = completion_reads(model, tokenizer, ROWS, system=system)
    assert none is None and [x.size for x in only] == [x.size for x in expect_lp]
    assert len({round(float(x.mean()), 3) for x in expect_lp}) == len(ROWS)  # rows really differ: a mix-up would fail
