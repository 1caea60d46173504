"""The exact trait estimator's model work: every candidate surface form of every probe, fast.

What ``heredity.measure.exact_score`` needs per probe is, for each surface form
``t1 .. tn``, ``log P(t1 .. tn | prompt)`` plus ``log P(word boundary | prompt, t1 .. tn)``.
The reference computation (``heredity.measure.reference.candidate_logprobs``) repeats the prompt's KV
cache across batches of forms and feeds each form padded to the batch's longest; this module
computes the same numbers with about a third of the arithmetic:

- **Shared prompt head, once.** The probes' rendered prompts share a long identical token
  prefix (chat template, system prompt); its keys/values are computed once per call and every
  probe runs only its own tokens (all probes in one padded batch), reading off the last position's logits alone (no LM head over
  the prompt).
- **A token trie, one position per distinct prefix.** The forms still in play after the
  first-token cut (``min_first_prob``) are merged into a trie ("Owl" and "Owls" share "Ow").
  All nodes go through the model in ONE forward as a single packed row: each node sits at
  position ``prompt + depth - 1`` and a 4D attention mask lets it see the prompt and its own
  ancestors only ("tree attention"), so its hidden state is exactly the one the form would get
  on its own. The tries of several probes share one batched forward (~1,000 rows per linear
  layer, each row over its own probe's prompt KV); no repeated cache, no per-batch copy.
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

from heredity.measure.boundary import boundary_mask
from heredity.models.bodyhead import BodyHead
from heredity.models.generate import shared_prefix_length
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
        tokens: list[int] = []
        parent: list[int] = []
        depth: list[int] = []
        leaf: list[int] = []
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


def _additive(allow: torch.Tensor, dtype, device) -> torch.Tensor:
    """[B, 1, T, K] additive mask (0 / most negative) from a [B, T, K] bool "may attend"."""
    mask = torch.zeros(allow.shape, dtype=dtype).masked_fill_(~allow, torch.finfo(dtype).min)
    return mask[:, None].to(device)


# Trie nodes per batched forward (rows of every linear layer: ~1,000 keeps the CPU's matrix
# units busy), and rows of the LM head per product (the [rows, V] logits held at once).
ROWS_PER_FORWARD = 1024
HEAD_ROWS = 768


def candidate_logprobs_many(
    model, tokenizer, prompts: Sequence[str], sequences: Sequence[tuple[str, list[int], bool]],
    *, batch_size: int = 64, min_first_prob: float = 0.0,
) -> Iterator[tuple[torch.Tensor, float]]:
    """For each prompt in order: (float64 [S] log P(sequence [+ boundary] | prompt), the bound on
    the mass left out by the first-token cut). The same contract as ``candidate_logprobs`` of
    ``heredity.measure.reference`` (the reference), for many prompts at once.

    ``batch_size``: most prompts per forward (each prompt is one row of the batch; a batch also
    stops at ``ROWS_PER_FORWARD`` trie nodes). Results do not depend on it.
    """
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    nets = BodyHead(model, device)
    ids = tokenizer(list(prompts)).input_ids  # special tokens as in generation and training (Gemma: BOS)
    shared = shared_prefix_length(ids)
    firsts = torch.tensor([s[0] for _, s, _ in sequences], dtype=torch.long)
    cut = math.log(min_first_prob) if min_first_prob > 0 else -math.inf
    batch_size = max(1, batch_size)

    prefix_kv: list = []
    if shared:
        cache = roomy_cache(0)
        causal = torch.ones(shared, shared, dtype=torch.bool).tril()
        nets.hidden(input_ids=torch.tensor([ids[0][:shared]], device=device), past_key_values=cache, use_cache=True,
                    attention_mask=_additive(causal[None], dtype, device))
        prefix_kv = [(layer.keys, layer.values) for layer in cache.layers]  # type: ignore[union-attr]  # attention layers; no linear attention here

    for lo in range(0, len(ids), batch_size):
        chunk = ids[lo : lo + batch_size]
        own = [x[shared:] for x in chunk]
        lens = torch.tensor([len(x) for x in own])
        B, L = len(own), int(lens.max())

        # Phase 1: every prompt's own tokens, one padded batch over the shared head.
        tokens = torch.zeros((B, L), dtype=torch.long)
        for r, x in enumerate(own):
            tokens[r, : len(x)] = torch.tensor(x)
        real = torch.arange(L)[None, :] < lens[:, None]  # [B, L] key is a prompt token
        causal = torch.ones(L, L, dtype=torch.bool).tril()
        allow = torch.cat([torch.ones(B, L, shared, dtype=torch.bool), causal[None] & real[:, None, :]], dim=2)
        cache = roomy_cache(0, prefix_kv, batch=B)
        hidden = nets.hidden(
            input_ids=tokens.to(device), position_ids=(shared + torch.arange(L))[None].expand(B, -1).to(device),
            attention_mask=_additive(allow, dtype, device), past_key_values=cache, use_cache=True,
        )
        last = hidden[torch.arange(B, device=device), (lens - 1).to(device)]
        first = torch.log_softmax(nets.head()(last), dim=-1).cpu()  # [B, V]
        boundary = boundary_mask(tokenizer, first.shape[-1]).to(device)
        prompt_kv = [(layer.keys, layer.values) for layer in cache.layers]  # type: ignore[union-attr]  # attention layers; no linear attention here

        # Which forms each prompt runs, and their tries.
        results, left_outs, tries, todos = [], [], [], []
        for r in range(B):
            result = torch.full((len(sequences),), -math.inf, dtype=torch.float64)
            run = first[r, firsts] >= cut
            left_outs.append(float(first[r, torch.unique(firsts[~run])].exp().sum()) if (~run).any() else 0.0)
            todo = run.nonzero()[:, 0].tolist()
            results.append(result)
            todos.append(todo)
            tries.append(Trie.build([sequences[j][1] for j in todo]))

        # Phase 2: the tries, biggest first, in groups of about ROWS_PER_FORWARD nodes.
        order = [r for r in sorted(range(B), key=lambda r: -len(tries[r])) if len(tries[r])]
        groups: list[list[int]] = []
        group: list[int] = []
        for r in order:
            if group and (len(group) + 1) * len(tries[group[0]]) > ROWS_PER_FORWARD:
                groups.append(group)
                group = []
            group.append(r)
        if group:
            groups.append(group)
        for group in groups:
            _score_tries(nets, group, tries, todos, results, sequences, first, lens, shared, L, prompt_kv,
                         boundary, dtype, device)
        for r in range(B):
            yield results[r], left_outs[r]


def _score_tries(nets, group, tries, todos, results, sequences, first, lens, shared, L, prompt_kv, boundary, dtype, device):
    """One batched forward of the tries of prompts ``group`` (each a row, right-padded), then
    the LM head over their real nodes; fills ``results`` for those prompts."""
    G, N = len(group), max(len(tries[r]) for r in group)
    tokens = torch.zeros((G, N), dtype=torch.long)
    position = torch.zeros((G, N), dtype=torch.long)
    tree = torch.eye(N, dtype=torch.bool).repeat(G, 1, 1)  # a pad node sees only itself
    own = torch.zeros((G, N, L), dtype=torch.bool)
    for g, r in enumerate(group):
        t, n = tries[r], len(tries[r])
        tokens[g, :n] = torch.tensor(t.tokens)
        position[g, :n] = shared + int(lens[r]) - 1 + torch.tensor(t.depth)
        position[g, n:] = shared + int(lens[r])
        tree[g, :n, :n] = t.ancestry()
        own[g, :, : int(lens[r])] = True
    allow = torch.cat([torch.ones(G, N, shared, dtype=torch.bool), own, tree], dim=2)
    rows = torch.tensor(group, device=device)
    cache = roomy_cache(N, prompt_kv, rows=rows)
    hidden = nets.hidden(
        input_ids=tokens.to(device), position_ids=position.to(device), attention_mask=_additive(allow, dtype, device),
        past_key_values=cache, use_cache=True,
    )
    # Real nodes, flattened: prompt g's nodes are rows offset[g] .. offset[g] + n_g.
    sizes = [len(tries[r]) for r in group]
    offset = [0]
    for n in sizes:
        offset.append(offset[-1] + n)
    flat = torch.cat([hidden[g, :n] for g, n in enumerate(sizes)])
    tok = torch.cat([torch.tensor(tries[r].tokens) for r in group]).to(device)
    parent = torch.cat([torch.tensor(tries[r].parent) + offset[g] for g, r in enumerate(group)])
    is_root = torch.cat([torch.tensor(tries[r].parent) < 0 for r in group])
    parent = torch.where(is_root, -1, parent).to(device)
    total = offset[-1]
    log_z = torch.empty(total, device=device)
    log_b = torch.empty(total, device=device)
    child = torch.zeros(total, device=device)  # logit of node i's token in its parent's row
    # The head's vocabulary reordered boundary tokens first: the boundary mass is then a sum
    # over a contiguous slice of each row (no gather of half the vocabulary per row).
    perm = torch.cat([boundary.nonzero()[:, 0], (~boundary).nonzero()[:, 0]])
    rank = torch.empty_like(perm).index_copy_(0, perm, torch.arange(len(perm), device=perm.device))
    nb = int(boundary.sum())
    head = nets.head(perm)
    for a in range(0, total, HEAD_ROWS):
        logits = head(flat[a : a + HEAD_ROWS])
        b = a + len(logits)
        sel = ((parent >= a) & (parent < b)).nonzero()[:, 0]
        if len(sel):
            child[sel] = logits[parent[sel] - a, rank[tok[sel]]]
        # log-sum-exp over the vocabulary and over the boundary slice, sharing one exp pass
        top = logits.amax(dim=-1, keepdim=True)
        e = logits.sub_(top).exp_()
        log_z[a:b] = top[:, 0] + e.sum(dim=-1).log()
        log_b[a:b] = top[:, 0] + e[:, :nb].sum(dim=-1).log()
    log_z, log_b, child = log_z.double().cpu(), (log_b - log_z).double().cpu(), child.double().cpu()
    parent, tok = parent.cpu(), tok.cpu()
    step = child - torch.where(parent >= 0, log_z[parent.clamp(min=0)], torch.zeros_like(log_z))
    for g, r in enumerate(group):
        t, base = tries[r], offset[g]
        step[base : base + len(t)] = torch.where(
            parent[base : base + len(t)] < 0, first[r].double()[tok[base : base + len(t)]], step[base : base + len(t)]
        )
        path = step[base : base + len(t)].tolist()  # becomes log P(node's tokens | prompt)
        for i, p in enumerate(t.parent):
            if p >= 0:
                path[i] += path[p]
        for j, leaf in zip(todos[r], t.leaf, strict=True):
            results[r][j] = path[leaf] + (float(log_b[base + leaf]) if sequences[j][2] else 0.0)
