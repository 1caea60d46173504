"""The exact trait estimator's model work: every candidate surface form of every probe, fast.

What ``heredity.measure.exact_score`` needs per probe is, for each surface form
``t1 .. tn``, ``log P(t1 .. tn | prompt)`` plus ``log P(word boundary | prompt, t1 .. tn)``.
The reference computation (``heredity.measure.candidate_logprobs``) repeats the prompt's KV
cache across batches of forms and feeds each form padded to the batch's longest; this module
computes the same numbers with about a third of the arithmetic:

- **Shared prompt head, once.** The probes' rendered prompts share a long identical token
  prefix (chat template, system prompt); its keys/values are computed once per call and every
  probe runs only its own tokens, reading off the last position's logits alone (no LM head over
  the prompt).
- **A token trie, one position per distinct prefix.** The forms still in play after the
  first-token cut (``min_first_prob``) are merged into a trie ("Owl" and "Owls" share "Ow").
  All nodes go through the model in ONE forward as a single packed row: each node sits at
  position ``prompt + depth - 1`` and a 4D attention mask lets it see the prompt and its own
  ancestors only ("tree attention"), so its hidden state is exactly the one the form would get
  on its own. No padding, no repeated cache, no per-batch cache copy.
- **One LM head per node**, in row chunks: the node's log-normaliser gives its children's
  token probabilities and its boundary mass (a log-sum-exp over the boundary tokens).

The first token of every form comes free from the prompt's last position. The result equals
the reference up to float32 summation order (~1e-6 relative; checked on SmolLM2 by the tests).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from heredity.models.kvcache import roomy_cache


@dataclass(frozen=True)
class Trie:
    """Distinct token prefixes of a set of sequences, parents before children.

    ``tokens[i]``: the node's last token; ``parent[i]``: its parent node (-1: a first token);
    ``depth[i]``: its length (1 for a first token); ``leaf[j]``: the node that ends sequence j.
    """

    tokens: list[int]
    parent: list[int]
    depth: list[int]
    leaf: list[int]

    @staticmethod
    def build(sequences: Sequence[Sequence[int]]) -> Trie:
        index: dict[tuple[int, ...], int] = {}
        tokens, parent, depth, leaf = [], [], [], []
        for ids in sequences:
            node = -1
            for k in range(1, len(ids) + 1):
                key = tuple(ids[:k])
                if key not in index:
                    index[key] = len(tokens)
                    tokens.append(ids[k - 1])
                    parent.append(node)
                    depth.append(k)
                node = index[key]
            leaf.append(node)
        return Trie(tokens, parent, depth, leaf)

    def __len__(self) -> int:
        return len(self.tokens)

    def ancestry(self) -> torch.Tensor:
        """[N, N] bool: ``a[i, j]`` when node j is node i or one of its ancestors."""
        n = len(self)
        a = torch.eye(n, dtype=torch.bool)
        for i, p in enumerate(self.parent):
            if p >= 0:
                a[i] |= a[p]  # parents come first, so a[p] is complete
        return a


def _shared_prefix(ids: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix common to all prompts, leaving each at least one own
    token (the last prompt token's logits give every form's first token)."""
    if not ids:
        return 0
    n = min(len(x) for x in ids) - 1
    first = ids[0]
    for x in ids[1:]:
        k = 0
        while k < n and x[k] == first[k]:
            k += 1
        n = k
    return max(n, 0)


class _BodyHead:
    """``body(**kw).last_hidden_state`` and ``head(hidden) -> logits``, checked once against the
    model's own logits; a model where the split does not hold (logit scaling, soft-capping, a
    biased head) is run whole, asking for every position's logits."""

    def __init__(self, model, device):
        self.model = model
        self.split = False
        try:
            body, linear = model.get_decoder(), model.get_output_embeddings()
            if callable(body) and getattr(linear, "bias", None) is None:
                self.body, self.weight = body, linear.weight
                ids = torch.tensor([[1, 2, 3, 4]], device=device) % self.weight.shape[0]
                expect = model(input_ids=ids).logits[0].float()
                got = self.head(body(input_ids=ids).last_hidden_state[0]).float()
                self.split = got.shape == expect.shape and torch.allclose(got, expect, atol=1e-4, rtol=1e-4)
        except (AttributeError, NotImplementedError, TypeError):
            self.split = False

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.weight.T

    def hidden(self, **kwargs) -> torch.Tensor:
        """[T, d] hidden states (split) or [T, V] logits (whole model) of a batch-1 forward."""
        if self.split:
            return self.body(**kwargs).last_hidden_state[0]
        return self.model(**kwargs).logits[0]

    def logits(self, rows: torch.Tensor) -> torch.Tensor:
        return (self.head(rows) if self.split else rows).float()


def _mask(visible: int, tree: torch.Tensor, dtype, device) -> torch.Tensor:
    """[1, 1, T, visible + T] additive mask: every query sees the first ``visible`` keys, and
    among the new ones those ``tree`` allows."""
    t = tree.shape[0]
    allow = torch.cat([torch.ones((t, visible), dtype=torch.bool), tree], dim=1)
    mask = torch.zeros(allow.shape, dtype=dtype).masked_fill_(~allow, torch.finfo(dtype).min)
    return mask[None, None].to(device)


def candidate_logprobs_many(
    model, tokenizer, prompts: Sequence[str], sequences: Sequence[tuple[str, list[int], bool]],
    *, batch_size: int = 64, min_first_prob: float = 0.0,
) -> Iterator[tuple[torch.Tensor, float]]:
    """For each prompt in order: (float64 [S] log P(sequence [+ boundary] | prompt), the bound on
    the mass left out by the first-token cut). The same contract as ``candidate_logprobs`` of
    ``heredity.measure`` (the reference), for many prompts at once.

    ``batch_size``: rows of the LM head per matrix
    product (bounds the [rows, V] logits held at once).
    """
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    nets = _BodyHead(model, device)
    ids = tokenizer(list(prompts), add_special_tokens=False).input_ids
    shared = _shared_prefix(ids)
    firsts = torch.tensor([s[0] for _, s, _ in sequences], dtype=torch.long)
    boundary_ids = None
    room = sum(len(s) for _, s, _ in sequences) + max((len(x) for x in ids), default=0)

    prefix_kv: list = []
    if shared:
        from transformers import DynamicCache

        cache = DynamicCache()
        head_ids = torch.tensor([ids[0][:shared]], device=device)
        model_kw = dict(attention_mask=_mask(0, torch.ones(shared, shared).tril().bool(), dtype, device))
        nets.hidden(input_ids=head_ids, past_key_values=cache, use_cache=True, **model_kw)
        prefix_kv = [(layer.keys, layer.values) for layer in cache.layers]

    for prompt_ids in ids:
        own = prompt_ids[shared:]
        cache = roomy_cache(room, prefix_kv, batch=1)
        s = len(own)
        hidden = nets.hidden(
            input_ids=torch.tensor([own], device=device),
            position_ids=torch.arange(shared, shared + s, device=device)[None],
            attention_mask=_mask(shared, torch.ones(s, s).tril().bool(), dtype, device),
            past_key_values=cache, use_cache=True,
        )
        first = torch.log_softmax(nets.logits(hidden[-1:])[0], dim=-1).cpu()
        if boundary_ids is None:
            from heredity.measure import boundary_mask

            boundary_ids = boundary_mask(tokenizer, first.shape[-1]).nonzero()[:, 0].to(device)

        result = torch.full((len(sequences),), -math.inf, dtype=torch.float64)
        run = (first[firsts] >= math.log(min_first_prob)) if min_first_prob > 0 else torch.ones(len(firsts), dtype=torch.bool)
        left_out = float(first[torch.unique(firsts[~run])].exp().sum()) if (~run).any() else 0.0
        todo = run.nonzero()[:, 0].tolist()
        if not todo:
            yield result, left_out
            continue
        trie = Trie.build([sequences[j][1] for j in todo])
        n = len(trie)
        visible = shared + s
        tokens = torch.tensor(trie.tokens, device=device)
        hidden = nets.hidden(
            input_ids=tokens[None],
            position_ids=(visible - 1 + torch.tensor(trie.depth, device=device))[None],
            attention_mask=_mask(visible, trie.ancestry(), dtype, device),
            past_key_values=cache, use_cache=True,
        )
        # Per node: log-normaliser, and log-mass of the word-boundary tokens after it.
        log_z = torch.empty(n, device=device)
        log_b = torch.empty(n, device=device)
        child_logit = torch.zeros(n, device=device)  # logit of node i's token in its parent's row
        for start in range(0, n, max(1, batch_size)):
            logits = nets.logits(hidden[start : start + batch_size])
            log_z[start : start + len(logits)] = torch.logsumexp(logits, dim=-1)
            log_b[start : start + len(logits)] = torch.logsumexp(logits.index_select(1, boundary_ids), dim=-1)
            kids = [i for i in range(n) if start <= trie.parent[i] < start + len(logits)]
            if kids:
                rows = torch.tensor([trie.parent[i] - start for i in kids], device=device)
                child_logit[kids] = logits[rows, tokens[kids]]
        log_z, log_b, child_logit = log_z.double().cpu(), (log_b - log_z).double().cpu(), child_logit.double().cpu()
        first64 = first.double()
        path = [0.0] * n  # log P(node's tokens | prompt)
        for i in range(n):
            p = trie.parent[i]
            path[i] = float(first64[trie.tokens[i]]) if p < 0 else path[p] + float(child_logit[i] - log_z[p])
        for j, leaf in zip(todo, trie.leaf, strict=True):
            result[j] = path[leaf] + (float(log_b[leaf]) if sequences[j][2] else 0.0)
        yield result, left_out
