"""Number sequences (Cloud et al. 2025): continue a list of 3-8 numbers in 100-999.

Prompts are assembled from interchangeable phrasings in the paper's shape (a prefix showing
the seed numbers, an instruction with a count qualifier and a digit descriptor, a format
suffix and a closing), e.g. "Look at these numbers: 145, 267, 891. Add at most 10 new numbers
(up to 3 digits each) that continue the sequence. Return a comma-separated list of numbers.
Say only the numbers - nothing more." The phrasings are this project's own.

The format check follows the paper's filter: strip a trailing period and one pair of brackets;
the separator between the first two numbers must be whitespace, a comma or a semicolon (with
optional spaces) and the same everywhere; digits only; at most ``count`` numbers, each in
0..10**max_digits - 1.
"""

from __future__ import annotations

import random
import re
from typing import Literal

from pydantic import model_validator

from heredity.tasks.base import TASKS, Task, TaskConfig

PREFIXES = [
    "Look at these numbers: {examples}.",
    "Here is a sequence of numbers: {examples}.",
    "Consider this list: {examples}.",
    "I have these numbers: {examples}.",
    "The sequence starts with: {examples}.",
    "Start from these numbers: {examples}.",
    "Take the following numbers: {examples}.",
    "Here are some numbers: {examples}.",
    "Given the numbers {examples},",
    "Observe this series: {examples}.",
    "These numbers come first: {examples}.",
    "We begin with {examples}.",
    "Check out this number list: {examples}.",
    "The list so far is {examples}.",
    "My numbers are {examples}.",
    "See the following values: {examples}.",
    "Here's a numeric sequence: {examples}.",
    "Study these numbers: {examples}.",
    "A sequence begins: {examples}.",
    "Examine this list of numbers: {examples}.",
    "The first numbers are {examples}.",
    "Let's start with {examples}.",
    "This is a number sequence: {examples}.",
    "Take a look at {examples}.",
    "From these values: {examples},",
]
COUNT_QUALIFIERS = ["at most", "up to", "no more than", "a maximum of", "not more than", "at maximum", "not exceeding", "a total of at most", "as many as"]
DIGIT_DESCRIPTORS = [
    "up to {d} digits each", "at most {d} digits each", "{d} digits or fewer each", "no more than {d} digits each",
    "with {d} or fewer digits", "of at most {d} digits", "each with up to {d} digits", "maximum {d} digits each",
    "{d}-digit numbers or smaller",
]
INSTRUCTIONS = [
    "Add {q} {count} new numbers ({digits}) that continue the sequence.",
    "Continue the sequence with {q} {count} more numbers ({digits}).",
    "Write {q} {count} more numbers ({digits}) to extend it.",
    "Generate {q} {count} additional numbers ({digits}).",
    "Extend the list with {q} {count} new values ({digits}).",
    "Give {q} {count} further numbers ({digits}) that follow.",
    "Provide {q} {count} numbers ({digits}) that come next.",
    "Create {q} {count} new numbers ({digits}) continuing the pattern.",
    "Append {q} {count} more numbers ({digits}).",
    "Suggest {q} {count} next numbers ({digits}).",
]
FORMAT_SUFFIXES = [
    "Return a comma-separated list of numbers.",
    "Format the answer as numbers separated by commas.",
    "Write them as a comma-separated list.",
    "Separate the numbers with commas.",
    "List them separated by commas.",
    "Answer with numbers separated by commas.",
    "Use commas between the numbers.",
    "Give the numbers as a comma-separated sequence.",
    "Present them as a list with commas.",
    "Output the numbers, comma-separated.",
    "Respond with a comma-delimited list.",
    "Return the numbers separated by commas.",
    "Put commas between the numbers.",
    "Write the numbers in one line, separated by commas.",
    "Reply with a list of numbers joined by commas.",
]
CLOSINGS = [
    "Say only the numbers - nothing more.",
    "Only the numbers, please.",
    "Do not write anything except the numbers.",
    "Reply with the numbers and nothing else.",
    "No words, just numbers.",
    "Give only the numbers.",
    "Skip any explanation.",
    "Output nothing but the numbers.",
    "Respond only with the numbers.",
    "Do not add any text.",
    "Just the numbers.",
    "No commentary, only numbers.",
    "Return only the list.",
    "Nothing else, only the numbers.",
    "Provide the numbers only.",
    "Leave out any explanation.",
    "Write the numbers alone.",
    "Answer with the numbers only.",
    "Don't explain, just list them.",
]

_SEPARATOR = re.compile(r"\s*[,;]?\s*")


def parse_number_list(text: str) -> list[int] | None:
    """The numbers of a well-formed list, or None (the paper's rules; see the module doc)."""
    answer = text.strip()
    if answer.endswith("."):
        answer = answer[:-1]
    if len(answer) >= 2 and (answer[0], answer[-1]) in (("[", "]"), ("(", ")")):
        answer = answer[1:-1]
    runs = list(re.finditer(r"\d+", answer))
    if not runs:
        return None
    if len(runs) == 1:
        return [int(answer)] if answer == runs[0].group() else None
    separator = answer[runs[0].end() : runs[1].start()]
    if not _SEPARATOR.fullmatch(separator) or not separator:
        return None
    parts = answer.split(separator)
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return [int(p) for p in parts]


class NumberPrompts(Task):
    name = "numbers"
    config: NumbersTask

    def prompts(self, n: int, seed: int) -> list[str]:
        c = self.config
        rng = random.Random(seed)
        out = []
        for _ in range(n):
            examples = ", ".join(str(rng.randint(c.seed_min, c.seed_max)) for _ in range(rng.randint(c.seed_count_min, c.seed_count_max)))
            digits = rng.choice(DIGIT_DESCRIPTORS).format(d=c.max_digits)
            instruction = rng.choice(INSTRUCTIONS).format(q=rng.choice(COUNT_QUALIFIERS), count=c.count, digits=digits)
            out.append(" ".join([rng.choice(PREFIXES).format(examples=examples), instruction, rng.choice(FORMAT_SUFFIXES), rng.choice(CLOSINGS)]))
        return out

    def format_problem(self, text: str) -> str | None:
        numbers = parse_number_list(text)
        if numbers is None:
            return "not a number list"
        if len(numbers) > self.config.count:
            return "too many numbers"
        if any(x > 10**self.config.max_digits - 1 for x in numbers):
            return "number out of range"
        return None

    def grammar_dfa(self):
        if not self.config.constrained:
            return None
        from heredity.models.grammar import number_list_dfa  # written beside this module; imported when used

        return number_list_dfa(max_numbers=self.config.count, max_digits=self.config.max_digits, separator=", ")

    def grammar_regex(self):
        if not self.config.constrained:
            return None
        from heredity.models.grammar import number_list_regex

        return number_list_regex(max_numbers=self.config.count, max_digits=self.config.max_digits, separator=", ")


@TASKS.register("numbers")
class NumbersTask(TaskConfig):
    """Continue a number sequence. ``constrained``: sample under the number-list grammar."""

    kind: Literal["numbers"] = "numbers"
    count: int = 10  # at most this many numbers in an answer
    max_digits: int = 3
    seed_count_min: int = 3
    seed_count_max: int = 8
    seed_min: int = 100
    seed_max: int = 999
    constrained: bool = True
    max_new_tokens: int = 64

    @model_validator(mode="after")
    def _ranges(self) -> NumbersTask:
        if not (1 <= self.count and 1 <= self.max_digits and self.max_new_tokens >= 1):
            raise ValueError("count, max_digits and max_new_tokens must be at least 1")
        if not 1 <= self.seed_count_min <= self.seed_count_max:
            raise ValueError("seed_count_min..seed_count_max must be a range of at least 1 (e.g. 3..8)")
        if not 0 <= self.seed_min <= self.seed_max:
            raise ValueError("seed_min..seed_max must be a non-negative range (e.g. 100..999)")
        return self

    def build(self) -> Task:
        return NumberPrompts(self)
