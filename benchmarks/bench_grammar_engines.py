"""heredity's compiled DFA against xgrammar for the HF loop's grammar work, per decode step.

    flock /tmp/heredity-cpu.lock .venv-vllm/bin/python benchmarks/bench_grammar_engines.py [--batch 64]

(xgrammar comes with vLLM: ``make vllm``; it is not a dependency of ``.venv``.) SmolLM2-135M fp32,
the numbers grammar (heredity: ``number_list_dfa`` compiled by ``TokenGrammar``; xgrammar: the
same language as ``number_list_regex``). Per decode step at one batch size, each the median of 30
after 3 warm-ups:

- ``hand DFA``: what ``Decoder._sample`` does under a grammar: the LM head over the grammar's few
  tokens, the budget mask by each row's state, softmax, sampling, the state update.
- ``xgrammar``: what a sampler over xgrammar must do: the full-vocabulary LM head, the batch
  matcher's bitmask, ``apply_token_bitmask_inplace``, softmax and sampling over the vocabulary,
  and each row's matcher accepting its token (rolled back, so every step starts from the same
  state); each part is also timed alone.
- ``body``: one one-token forward of the model at this batch over a 100-token cache, for scale.

Grammar compile times (one-off, cached per grammar and tokenizer) are printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path


def median_s(fn, reps: int = 30) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    B = args.batch
    import torch
    import xgrammar as xgr
    from transformers import DynamicCache

    from heredity.models import grammar as G
    from heredity.models.generate import Decoder
    from heredity.models.loading import ModelRef, ModelSource, load
    from heredity.steps.models import import_base
    from heredity.store import Store
    from heredity.store.store import default_root
    from heredity.tasks.numbers import NumbersTask

    store = Store(Path(os.environ.get("HEREDITY_TEST_LM_STORE") or default_root()))
    base = store.open(import_base(store, ModelSource()).id).path
    model, tok = load(ModelRef(base), dtype="float32")
    task = NumbersTask().build()
    dfa, regex = task.grammar_dfa(), task.grammar_regex()
    assert dfa is not None and regex is not None

    G._CACHE.clear()
    t = time.perf_counter()
    grammar = G.TokenGrammar.compile(dfa, tok)
    compile_dfa = time.perf_counter() - t
    t = time.perf_counter()
    info = xgr.TokenizerInfo.from_huggingface(tok, vocab_size=model.config.vocab_size)
    compiled = xgr.GrammarCompiler(info, max_threads=2).compile_regex(regex)
    compile_xgr = time.perf_counter() - t

    decoder = Decoder(model, tok, grammar)
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(B, model.config.hidden_size, generator=gen) * 0.1
    matchers = [xgr.GrammarMatcher(compiled) for _ in range(B)]
    batch = xgr.BatchGrammarMatcher(max_threads=2)
    bitmask = xgr.allocate_token_bitmask(B, info.vocab_size)
    digit = tok.convert_tokens_to_ids("1")

    with torch.inference_mode():
        state = torch.full((B,), grammar.start, dtype=torch.long)
        full = decoder.full_head(hidden)

        def hand() -> None:
            decoder._sample(hidden, state.clone(), 64, 1.0, gen)

        def xgrammar() -> None:
            logits = decoder.full_head(hidden)
            batch.batch_fill_next_token_bitmask(matchers, bitmask)
            xgr.apply_token_bitmask_inplace(logits, bitmask)
            torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen)
            for m in matchers:
                m.accept_token(digit)
                m.rollback(1)

        def apply() -> None:
            xgr.apply_token_bitmask_inplace(full.clone(), bitmask)

        def accept() -> None:
            for m in matchers:
                m.accept_token(digit)
                m.rollback(1)

        parts = {
            "full LM head": median_s(lambda: decoder.full_head(hidden)),
            "bitmask fill": median_s(lambda: batch.batch_fill_next_token_bitmask(matchers, bitmask)),
            "apply bitmask (with a logits copy)": median_s(apply),
            "softmax + sample over the vocabulary": median_s(lambda: torch.multinomial(torch.softmax(full, dim=-1), 1, generator=gen)),
            "matchers accept": median_s(accept),
        }
        hand_s, xgr_s = median_s(hand), median_s(xgrammar)

        ids = torch.randint(0, 1000, (B, 100), generator=gen)
        cache = DynamicCache()
        decoder.nets.hidden(input_ids=ids, attention_mask=torch.ones_like(ids), past_key_values=cache, use_cache=True)
        kv = [(layer.keys.clone(), layer.values.clone()) for layer in cache.layers]  # type: ignore[union-attr]

        def body() -> None:
            c = DynamicCache()
            for i, (k, v) in enumerate(kv):
                c.update(k, v, i)
            decoder.nets.hidden(input_ids=ids[:, :1], attention_mask=torch.ones(B, 101, dtype=torch.long),
                                position_ids=torch.full((B, 1), 100), past_key_values=c, use_cache=True)

        body_s = median_s(body, reps=15)

    ms = 1e3
    print(f"SmolLM2-135M fp32, batch {B}, torch {torch.__version__}, {torch.get_num_threads()} threads; grammar {regex}")
    print(f"compile (once per grammar and tokenizer): hand DFA {compile_dfa:.2f} s ({len(grammar.tokens)} tokens, "
          f"{grammar.dfa.n_states} states); xgrammar {compile_xgr:.2f} s (tokenizer info + regex)")
    print(f"grammar work per decode step (median of 30): hand DFA {hand_s * ms:.2f} ms; xgrammar {xgr_s * ms:.2f} ms")
    for name, s in parts.items():
        print(f"  xgrammar part: {name} {s * ms:.2f} ms")
    print(f"body one-token step {body_s * ms:.1f} ms (median of 15): a step with the hand DFA {(body_s + hand_s) * ms:.1f} ms, "
          f"with xgrammar {(body_s + xgr_s) * ms:.1f} ms (+{(xgr_s - hand_s) / (body_s + hand_s) * 100:.0f}%); "
          f"the full LM head alone, which any full-vocabulary mask needs, is +{parts['full LM head'] / (body_s + hand_s) * 100:.0f}%")


if __name__ == "__main__":
    main()
