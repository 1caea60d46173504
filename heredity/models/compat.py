"""Whether a student can learn from a teacher's logits: only when both read and write the same
tokens. Logit distillation matches the student's next-token distribution to the teacher's with a
KL divergence over one shared vocabulary; across tokenizers the two distributions live on
different supports (token 506 is " the" for one model and something else, or nothing, for the
other), so there is no common space to take the KL in. Text travels across tokenizers; logits do
not: a cross-base student learns by SFT on the teacher's sampled text instead.
"""

from __future__ import annotations

from heredity.errors import ConfigError


def _describe(tokenizer) -> str:
    name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
    return f"{name} ({len(tokenizer)} tokens)"


def check_same_tokenizer(teacher_tokenizer, student_tokenizer) -> None:
    """Raise ConfigError unless both tokenizers map every token string to the same id."""
    teacher_vocab, student_vocab = teacher_tokenizer.get_vocab(), student_tokenizer.get_vocab()
    if teacher_vocab == student_vocab:
        return
    shared = len(teacher_vocab.keys() & student_vocab.keys())
    same_id = sum(1 for t, i in teacher_vocab.items() if student_vocab.get(t) == i)
    raise ConfigError(
        f"logit distillation needs the teacher and student to share one tokenizer, but the teacher's "
        f"{_describe(teacher_tokenizer)} and the student's {_describe(student_tokenizer)} differ "
        f"({shared} token strings in common, {same_id} of them with the same id): their next-token "
        f"distributions have no common support, so the KL between them is undefined. "
        f"Use mode: sft (the student learns from the teacher's sampled text) for a student of another base."
    )
