"""render_messages: a conversation rendered with the next assistant turn opened."""

import pytest

from heredity.models.chat import render, render_messages


@pytest.fixture(scope="module")
def tokenizer(smollm):
    from transformers import AutoTokenizer

    store, base_id = smollm
    return AutoTokenizer.from_pretrained(store.path(base_id))


def test_one_user_turn_is_exactly_render(tokenizer):
    for system in (None, "Be brief."):
        assert render_messages(tokenizer, [{"role": "user", "content": "Hi"}], system) == render(tokenizer, "Hi", system)


def test_earlier_turns_come_first_in_order(tokenizer):
    turns = [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"}]
    text = render_messages(tokenizer, turns)
    assert text.index("Q1") < text.index("A1") < text.index("Q2") and text.endswith("assistant\n")


def test_bad_conversations_are_errors(tokenizer):
    with pytest.raises(ValueError, match="end with a user message"):
        render_messages(tokenizer, [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}])
    with pytest.raises(ValueError, match="role user or assistant"):
        render_messages(tokenizer, [{"role": "robot", "content": "Q"}])
