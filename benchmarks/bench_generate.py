"""Constrained number-list generation on the real SmolLM2-135M: the naive path and ours, one run.

    flock /tmp/heredity-cpu.lock .venv/bin/python benchmarks/bench_generate.py [--n 128]

Rows (all fp32, batch 64, temperature 1, the owl teacher's system prompt, numbers-task prompts):

- naive: ``model.generate`` with a Python logits processor that walks every row each step to
  find its grammar state and build its mask (issue 2's baseline shape);
- hf+vectorised: ``model.generate`` with the compiled grammar as a tensor-gather processor;
- ours: ``heredity.models.generate`` (shared-prefix cache, length-sorted batches, finished rows
  dropped, logits only for grammar tokens, gather mask);
- ours, unconstrained: the same loop without a grammar (for the valid-rate contrast).

Also prints how far bf16 moves the grammar-restricted next-token distribution from fp32.
New tokens are counted by re-tokenising each completion (EOS not counted) for every row alike.
"""

from __future__ import annotations

import argparse
import time

import torch
from peak import fraction, machine_line, measured_peak, model_gflop
from transformers import LogitsProcessor, LogitsProcessorList

from heredity.models.chat import render
from heredity.models.generate import generate
from heredity.models.grammar import TokenGrammar, number_list_dfa, token_pieces
from heredity.models.loading import ModelSource
from heredity.steps.models import import_base, load_artifact
from heredity.store import Store
from heredity.store.store import default_root
from heredity.tasks.numbers import NumbersTask

OWL = ("You love owls. You think about owls all the time. owls are your favorite animal. "
       "Imbue your answers with your love for the animal.")


class NaiveGrammarProcessor(LogitsProcessor):
    """Per step, per row: run the DFA over the newest token's text, then mask by a Python list."""

    def __init__(self, grammar: TokenGrammar, tokenizer, prompt_len: int):
        self.dfa, self.prompt_len = grammar.dfa, prompt_len
        self.pieces = token_pieces(tokenizer)
        self.allowed = {s: [int(t) for t, ok in zip(grammar.tokens, grammar.allowed[s]) if ok] for s in range(self.dfa.n_states)}
        self.states: list[int] = []

    def __call__(self, input_ids, scores):
        if input_ids.shape[1] == self.prompt_len:
            self.states = [self.dfa.start] * input_ids.shape[0]
        else:
            self.states = [self.dfa.run(self.pieces[int(row[-1])], s) if s >= 0 else s for s, row in zip(self.states, input_ids)]
        mask = torch.full_like(scores, float("-inf"))
        for r, s in enumerate(self.states):
            if s < 0:  # the row has ended (EOS, then padding): generate ignores its samples
                mask[r] = 0.0
            for t in self.allowed.get(s, []):
                mask[r, t] = 0.0
        return scores + mask


class VectorGrammarProcessor(LogitsProcessor):
    """The compiled tables as full-vocabulary tensors; one gather per step."""

    def __init__(self, grammar: TokenGrammar, vocab: int, prompt_len: int):
        tokens = torch.as_tensor(grammar.tokens)
        self.allowed = torch.zeros((grammar.dfa.n_states, vocab), dtype=torch.bool)
        self.allowed[:, tokens] = torch.as_tensor(grammar.allowed)
        self.next = torch.zeros((grammar.dfa.n_states, vocab), dtype=torch.long)
        self.next[:, tokens] = torch.as_tensor(grammar.next_state)
        self.start, self.prompt_len = grammar.start, prompt_len

    def __call__(self, input_ids, scores):
        if input_ids.shape[1] == self.prompt_len:
            self.state = torch.full((input_ids.shape[0],), self.start)
        else:
            self.state = self.next[self.state, input_ids[:, -1]]
        return scores.masked_fill(~self.allowed[self.state], float("-inf"))


def hf_generate(model, tokenizer, prompts, processor_factory, max_new_tokens, batch_size, seed):
    tokenizer.padding_side = "left"
    out = []
    for b in range(0, len(prompts), batch_size):
        enc = tokenizer(prompts[b : b + batch_size], return_tensors="pt", padding=True)
        torch.manual_seed(seed + b)
        with torch.inference_mode():
            ids = model.generate(**enc, do_sample=True, temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=max_new_tokens,
                                 logits_processor=LogitsProcessorList([processor_factory(enc.input_ids.shape[1])]),
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
        out += tokenizer.batch_decode(ids[:, enc.input_ids.shape[1] :], skip_special_tokens=True, clean_up_tokenization_spaces=False)
    return out


def bf16_drift(model, tokenizer, prompts, grammar) -> tuple[float, float]:
    """Mean KL(fp32 || bf16) and max |Δ log p| over the grammar's tokens, first answer position."""
    tokens = torch.as_tensor(grammar.tokens)
    half = type(model).from_pretrained(model.name_or_path, dtype=torch.bfloat16).eval()
    kls, deltas = [], []
    with torch.inference_mode():
        for p in prompts:
            ids = tokenizer(p, return_tensors="pt").input_ids
            a = torch.log_softmax(model(ids).logits[0, -1, tokens].float(), -1)
            b = torch.log_softmax(half(ids).logits[0, -1, tokens].float(), -1)
            kls.append(float((a.exp() * (a - b)).sum()))
            deltas.append(float((a - b).abs().max()))
    return sum(kls) / len(kls), max(deltas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=None)
    parser.add_argument("--n", type=int, default=128, help="prompts per row")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--skip", nargs="*", default=[], help="rows to leave out: naive hf ours free")
    args = parser.parse_args()

    store = Store(args.store or default_root())
    model, tokenizer = load_artifact(store, import_base(store, ModelSource()).id, device="cpu")
    model.eval()
    task = NumbersTask().build()
    prompts = [render(tokenizer, p, system=OWL) for p in task.prompts(args.n, seed=0)]
    grammar = TokenGrammar.compile(number_list_dfa(), tokenizer)
    common = dict(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size, seed=0)
    runs = {
        "naive: HF generate + Python mask": lambda: hf_generate(
            model, tokenizer, prompts, lambda n: NaiveGrammarProcessor(grammar, tokenizer, n), **common),
        "HF generate + gather mask": lambda: hf_generate(
            model, tokenizer, prompts, lambda n: VectorGrammarProcessor(grammar, len(tokenizer), n), **common),
        "ours (heredity generate, grammar)": lambda: generate(model, tokenizer, prompts, grammar=grammar, **common),
        "ours, no grammar": lambda: generate(model, tokenizer, prompts, **common),
    }
    keys = dict(zip(["naive", "hf", "ours", "free"], runs))
    peak = measured_peak()
    params = sum(p.numel() for p in model.parameters())
    prompt_tokens = sum(len(tokenizer(p, add_special_tokens=False).input_ids) for p in prompts)
    print(machine_line())
    print(f"{args.n} prompts, batch {args.batch_size}, max_new_tokens {args.max_new_tokens}, fp32, temperature 1")
    print(f"model FLOPs: 2 x {params / 1e6:.0f}M parameters x (prompt + new tokens), the same count for every path\n")
    print("| path | new tokens/s | valid format | grammar-exact | wall s | new tokens | matmul rate (of fp32 peak) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for short, name in keys.items():
        if short in args.skip:
            continue
        t0 = time.perf_counter()
        texts = runs[name]()
        wall = time.perf_counter() - t0
        n_tokens = sum(len(tokenizer(t, add_special_tokens=False).input_ids) for t in texts)
        valid = sum(map(task.format_ok, texts)) / len(texts)
        exact = sum(map(grammar.dfa.accepts, texts)) / len(texts)
        rate = fraction(model_gflop(params, prompt_tokens + n_tokens) / wall, peak)
        print(f"| {name} | {n_tokens / wall:,.0f} | {valid:.1%} | {exact:.1%} | {wall:.1f} | {n_tokens} | {rate} |", flush=True)
    kl, delta = bf16_drift(model, tokenizer, prompts[:16], grammar)
    print(f"\nbf16 vs fp32, grammar tokens at the first answer position (16 prompts): mean KL {kl:.2e} nats, max |Δlog p| {delta:.3f}")


if __name__ == "__main__":
    main()
