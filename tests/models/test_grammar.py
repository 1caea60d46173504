"""The character automaton accepts exactly its language, and its compilation onto SmolLM2's
vocabulary allows exactly the tokens that keep the text inside it."""

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer

from heredity.models.grammar import DEAD, CharDFA, TokenGrammar, number_list_dfa, number_list_regex, token_pieces

LANGUAGE = re.compile(number_list_regex())
DFA = number_list_dfa()

# Strings near the language: digits, separators and a few stray characters.
near = st.text(alphabet="0123456789, .;\n-", max_size=60)
members = st.lists(st.integers(0, 999), min_size=1, max_size=12).map(lambda xs: ", ".join(map(str, xs)))


@given(st.one_of(near, members, members.map(lambda s: s + ", "), members.map(lambda s: " " + s)))
@settings(max_examples=400, deadline=None)
def test_dfa_accepts_exactly_the_regex_language(text):
    assert DFA.accepts(text) == bool(LANGUAGE.fullmatch(text))


def test_number_list_edges():
    assert DFA.accepts("0") and DFA.accepts("007, 999")
    assert DFA.accepts(", ".join(["5"] * 10)) and not DFA.accepts(", ".join(["5"] * 11))
    assert not DFA.accepts("") and not DFA.accepts("1000") and not DFA.accepts("1,2") and not DFA.accepts("1, 2,")
    small = number_list_dfa(max_numbers=2, max_digits=1, separator=";")
    assert small.accepts("1;2") and not small.accepts("12") and not small.accepts("1;2;3")


def test_from_dict_round_trip():
    dfa = CharDFA.from_dict({0: {"a": 1}, 1: {"b": 0}}, start=0, accepting=[1])
    assert dfa.accepts("a") and dfa.accepts("aba") and not dfa.accepts("ab") and not dfa.accepts("")


def test_compiled_masks_match_the_dfa_token_by_token(tiny_lm):
    store, model_id = tiny_lm
    tokenizer = AutoTokenizer.from_pretrained(store.path(model_id))
    grammar = TokenGrammar.compile(DFA, tokenizer)
    assert TokenGrammar.compile(DFA, tokenizer) is grammar  # cached
    pieces = token_pieces(tokenizer)
    mask = grammar.full_mask(len(tokenizer))
    eos = tokenizer.eos_token_id
    specials = set(tokenizer.all_special_ids) - {eos}
    for state in range(DFA.n_states):
        # Brute force over the whole vocabulary: a token is allowed iff running its text from
        # this state stays alive (every live state of this DFA can still reach acceptance);
        # EOS iff accepting.
        expected = np.array([
            (i == eos and state in DFA.accepting)
            or (i != eos and i not in specials and bool(pieces[i]) and DFA.run(pieces[i], state) != DEAD)
            for i in range(len(tokenizer))
        ])
        assert (mask[state] == expected).all(), state
    assert not mask[:, sorted(specials)].any()
    # Digits are single tokens in SmolLM2's vocabulary; ", " is "," then " ".
    assert {pieces[i] for i in grammar.tokens} >= set("0123456789, ")

