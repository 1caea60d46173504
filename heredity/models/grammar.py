"""Output grammars for constrained sampling: a character automaton, compiled onto a vocabulary.

``CharDFA`` says which strings are allowed, one character at a time. ``TokenGrammar.compile``
runs every token of a tokenizer through it from every state once (vectorised), so that at
sampling time the allowed tokens of a row are one table lookup by its state — never a Python
loop over the vocabulary. A grammar also knows, per (state, token), how many more tokens the
shortest valid ending needs, so a sampler with a token budget can steer every row into an
accepting state before the budget runs out: constrained output is always inside the language.

Why a hand-written compiler and not xgrammar (which vLLM's backend uses, on the same language as
``number_list_regex``): measured by ``benchmarks/bench_grammar_engines.py`` (2026-12-05, SmolLM2-135M
fp32, batch 64, 2-core Zen 4, medians of 30), the grammar work of a decode step is 0.11 ms here
and 128 ms over xgrammar's full-vocabulary bitmask, on a 351 ms model step. Most of that could be
engineered away, but not the full LM head (50 ms, +14% per step), which a vocabulary bitmask needs
and this grammar's 13-token head does not. xgrammar also has no token budget, so a row cut at
``max_new_tokens`` can end outside the language. It compiles faster (0.16 s against 0.68 s, once
per grammar and tokenizer, cached).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

DEAD = -1  # the implicit rejecting state of a CharDFA
UNREACHABLE = np.iinfo(np.int32).max // 2  # "no valid ending from here" in the need tables


@dataclass(frozen=True)
class CharDFA:
    """A deterministic automaton over characters. A missing transition goes to the dead state.

    ``transitions[state]`` maps a character to the next state; states are ``0..n_states-1``.
    """

    transitions: tuple[tuple[tuple[str, int], ...], ...]
    start: int = 0
    accepting: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def from_dict(cls, transitions: Mapping[int, Mapping[str, int]], start: int, accepting: Iterable[int]) -> CharDFA:
        n = 1 + max([start, *transitions, *(t for row in transitions.values() for t in row.values())])
        rows = tuple(tuple(sorted(transitions.get(s, {}).items())) for s in range(n))
        return cls(rows, start, frozenset(accepting))

    @property
    def n_states(self) -> int:
        return len(self.transitions)

    @cached_property
    def _tables(self) -> list[dict[str, int]]:
        return [dict(row) for row in self.transitions]

    def step(self, state: int, char: str) -> int:
        return DEAD if state == DEAD else self._tables[state].get(char, DEAD)

    def run(self, text: str, state: int | None = None) -> int:
        state = self.start if state is None else state
        tables = self._tables
        for char in text:
            if state == DEAD:
                break
            state = tables[state].get(char, DEAD)
        return state

    def accepts(self, text: str) -> bool:
        return self.run(text) in self.accepting

    def alphabet(self) -> list[str]:
        return sorted({char for row in self.transitions for char, _ in row})


def number_list_dfa(max_numbers: int = 10, max_digits: int = 3, separator: str = ", ") -> CharDFA:
    """``d{1,max_digits}(SEP d{1,max_digits}){0,max_numbers-1}``: the subliminal-learning format.

    No leading or trailing space: SmolLM2's tokenizer splits digits into single tokens and writes
    ", " as "," + " ", so the exact list is always writable token by token, and a reply that
    starts right after the chat template's "assistant\\n" starts with a digit.
    """
    if max_numbers < 1 or max_digits < 1 or not separator:
        raise ValueError("number_list_dfa needs max_numbers >= 1, max_digits >= 1 and a separator")
    digits = "0123456789"
    transitions: dict[int, dict[str, int]] = {}
    ids: dict[tuple, int] = {}

    def state(key: tuple) -> int:
        return ids.setdefault(key, len(ids))

    state(("digits", 0, 0))  # start: number 0, no digit yet
    accepting = set()
    for k in range(max_numbers):
        for d in range(max_digits + 1):
            here = state(("digits", k, d))
            row = transitions.setdefault(here, {})
            if d < max_digits:
                for c in digits:
                    row[c] = state(("digits", k, d + 1))
            if d > 0:
                accepting.add(here)
                if k + 1 < max_numbers:  # separator, one character at a time
                    prev = here
                    for j, c in enumerate(separator):
                        nxt = state(("digits", k + 1, 0)) if j == len(separator) - 1 else state(("sep", k, j))
                        transitions.setdefault(prev, {})[c] = nxt
                        prev = nxt
    return CharDFA.from_dict(transitions, 0, accepting)


def number_list_regex(max_numbers: int = 10, max_digits: int = 3, separator: str = ", ") -> str:
    """The regular expression of the same language (for filters and tests)."""
    import re

    number = rf"[0-9]{{1,{max_digits}}}"
    sep = re.escape(separator).replace("\\ ", " ")  # a space needs no escape (xgrammar warns on "\ ")
    return rf"{number}(?:{sep}{number}){{0,{max_numbers - 1}}}"


def token_pieces(tokenizer) -> list[str]:
    """The text each token adds when it follows other text (special tokens: their literal text).

    Decoded after an anchor token, so tokenizers that drop a leading space of a lone token
    (SentencePiece) still report it; spaces are never "cleaned up".
    """
    vocab = len(tokenizer)
    anchor = tokenizer.convert_tokens_to_ids(tokenizer.tokenize("a"))[:1]
    kwargs = dict(skip_special_tokens=False, clean_up_tokenization_spaces=False)
    alone = tokenizer.batch_decode([[i] for i in range(vocab)], **kwargs)
    if not anchor:
        return alone
    head = tokenizer.decode(anchor, **kwargs)
    after = tokenizer.batch_decode([anchor + [i] for i in range(vocab)], **kwargs)
    return [a[len(head):] if a.startswith(head) else b for a, b in zip(after, alone)]


@dataclass(frozen=True)
class TokenGrammar:
    """A CharDFA compiled onto one vocabulary.

    ``tokens``: the ids that are allowed in at least one state (EOS included) — the sampler only
    needs logits for these. For state ``s`` and column ``j`` (token ``tokens[j]``):
    ``next_state[s, j]`` the state after emitting it (``s`` itself where not allowed), ``need[s, j]`` how many
    more tokens the shortest accepted ending needs after it (0 for EOS in an accepting state,
    UNREACHABLE when not allowed). A row with ``r`` tokens of budget left may emit ``j`` iff
    ``need[s, j] < r``.
    """

    dfa: CharDFA
    tokens: np.ndarray  # [U] int64
    next_state: np.ndarray  # [S, U] int64
    need: np.ndarray  # [S, U] int32
    eos_id: int
    start: int

    @property
    def allowed(self) -> np.ndarray:
        """[S, U] bool: tokens that keep the output inside the language (no budget limit)."""
        return self.need < UNREACHABLE

    def full_mask(self, vocab_size: int) -> np.ndarray:
        """[S, V] bool over the whole vocabulary (for samplers that see all logits)."""
        mask = np.zeros((self.dfa.n_states, vocab_size), dtype=bool)
        mask[:, self.tokens] = self.allowed
        return mask

    def min_tokens(self) -> int:
        """Tokens (EOS included) of the shortest accepted output."""
        return int(self.need[self.start].min()) + 1

    @classmethod
    def compile(cls, dfa: CharDFA, tokenizer) -> TokenGrammar:
        key = (dfa, getattr(tokenizer, "name_or_path", ""), len(tokenizer), tokenizer.eos_token_id)
        if key not in _CACHE:
            _CACHE[key] = _compile(dfa, tokenizer)
        return _CACHE[key]


_CACHE: dict[tuple, TokenGrammar] = {}


def _compile(dfa: CharDFA, tokenizer) -> TokenGrammar:
    if tokenizer.eos_token_id is None:
        raise ValueError("a grammar needs a tokenizer with an EOS token")
    eos = int(tokenizer.eos_token_id)
    pieces = token_pieces(tokenizer)
    special = set(tokenizer.all_special_ids)
    alphabet = dfa.alphabet()
    klass = {c: i for i, c in enumerate(alphabet)}
    # Only tokens spelled entirely in the DFA's alphabet can ever be accepted: a cheap filter that
    # leaves a handful of candidates out of ~50k, which are then run through the DFA together.
    candidates = [
        i for i, p in enumerate(pieces) if p and i not in special and all(c in klass for c in p)
    ]
    S, C = dfa.n_states, len(alphabet)
    table = np.full((S + 1, C), S, dtype=np.int64)  # row S: the dead state, absorbing
    for s, row in enumerate(dfa.transitions):
        for c, t in row:
            table[s, klass[c]] = t
    after = np.empty((S + 1, len(candidates)), dtype=np.int64)
    if candidates:
        width = max(len(pieces[i]) for i in candidates)
        chars = np.full((len(candidates), width), -1, dtype=np.int64)
        for j, i in enumerate(candidates):
            chars[j, : len(pieces[i])] = [klass[c] for c in pieces[i]]
        state = np.repeat(np.arange(S + 1)[:, None], len(candidates), axis=1)
        for pos in range(width):
            live = chars[:, pos] >= 0
            state[:, live] = table[state[:, live], chars[live, pos]]
        after = state
    tokens = np.array(candidates + [eos], dtype=np.int64)
    next_state = np.concatenate([after[:S], np.full((S, 1), S, dtype=np.int64)], axis=1)
    # Tokens to the shortest accepted ending from each state, by relaxation over the token edges
    # (S is small: at most S rounds).
    dist = np.full(S + 1, UNREACHABLE, dtype=np.int64)
    dist[list(dfa.accepting)] = 0
    for _ in range(S):
        via = np.where(next_state < S, dist[np.minimum(next_state, S)] + 1, UNREACHABLE).min(axis=1, initial=UNREACHABLE)
        new = np.minimum(dist[:S], via)
        if np.array_equal(new, dist[:S]):
            break
        dist[:S] = new
    need = np.where(next_state < S, dist[np.minimum(next_state, S)], UNREACHABLE)
    accepting = np.zeros(S, dtype=bool)
    accepting[list(dfa.accepting)] = True
    need[:, -1] = np.where(accepting, 0, UNREACHABLE)  # EOS exactly in accepting states
    need = np.minimum(need, UNREACHABLE).astype(np.int32)
    keep = (need < UNREACHABLE).any(axis=0)  # drop tokens no state allows
    # A token that is not allowed (or EOS) leaves the state as it is: the sampler never picks the
    # former and stops the row at the latter, and every entry stays a valid index for a gather.
    next_state = np.where(next_state < S, next_state, np.arange(S)[:, None])[:, keep]
    return TokenGrammar(dfa, tokens[keep], next_state, need[:, keep], eos, dfa.start)
