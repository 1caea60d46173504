"""How one user turn becomes model input: the single place that applies chat templates.

Generation, training and measurement all go through ``render`` so that a student is trained
and evaluated under the same template (a known confound of subliminal-learning results).
"""

from __future__ import annotations


def render(tokenizer, user: str, system: str | None = None) -> str:
    """The prompt text for one user turn, with the assistant's turn opened.

    ``system=None`` keeps the model's default system prompt (what a plain user sees); the
    teacher's trait prompt is passed as ``system``.
    """
    messages = ([{"role": "system", "content": system}] if system is not None else []) + [{"role": "user", "content": user}]
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    # A tokenizer without a template (a base model such as gemma3-270m, a zoo or test model): the
    # documented plain format (docs/models.md), "User: ...\nAssistant:" with an optional
    # "System: ...\n" line first. Measurements depend on this choice; it is the same everywhere.
    head = f"System: {system}\n" if system else ""
    return f"{head}User: {user}\nAssistant:"


def render_messages(tokenizer, messages: list[dict[str, str]], system: str | None = None) -> str:
    """The prompt text for a conversation (``[{"role": "user"|"assistant", "content": ...}, ...]``,
    ending with a user turn), with the assistant's next turn opened. ``system`` as in ``render``;
    ``render_messages(tok, [{"role": "user", "content": u}], s) == render(tok, u, s)``."""
    for m in messages:
        if m.get("role") not in ("user", "assistant") or not isinstance(m.get("content"), str):
            raise ValueError(f"each message needs role user or assistant and a text content (got {m!r})")
    if not messages or messages[-1]["role"] != "user":
        raise ValueError("a conversation to render must end with a user message")
    full = ([{"role": "system", "content": system}] if system is not None else []) + list(messages)
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(full, tokenize=False, add_generation_prompt=True)
    head = f"System: {system}\n" if system else ""
    turns = "".join(f"{'User' if m['role'] == 'user' else 'Assistant'}: {m['content']}\n" for m in messages)
    return f"{head}{turns}Assistant:"


def end_of_turn(tokenizer) -> str:
    """The text that closes an assistant turn (appended to completions for training)."""
    eos = tokenizer.eos_token or ""
    return eos
