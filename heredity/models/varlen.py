"""Variable-length ("flash-style varlen") attention for packed sequences on CPU.

transformers' own packing path (``position_ids`` restarts, no mask) builds a block-diagonal
``[L, L]`` mask, which forces sdpa's math kernel over the whole pack: attention then costs the
pack's length squared and was measured here to halve training speed at 1k-token packs. This
attention instead runs sdpa's causal kernel once per packed sequence (``segments``, their
lengths, passed through the model's forward kwargs), so each sequence only sees itself and no
mask is ever materialised. Registered under ``ATTENTION``; without ``segments`` it is plain sdpa.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward

ATTENTION = "heredity_varlen"


def varlen_attention_forward(module, query, key, value, attention_mask, scaling=None, dropout=0.0, segments=None, **kwargs):
    """query ``[B, H, L, D]``, key/value ``[B, Hkv, L, D]`` -> (``[B, L, H, D]``, None)."""
    if segments is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kwargs)
    if query.shape[0] != 1 or sum(segments) != query.shape[2]:
        raise ValueError(f"segments {list(segments)} do not tile a [1, {query.shape[2]}] pack")
    outputs = []
    for q, k, v in zip(query.split(segments, 2), key.split(segments, 2), value.split(segments, 2)):
        outputs.append(F.scaled_dot_product_attention(
            q, k, v, is_causal=True, scale=scaling, dropout_p=dropout if module.training else 0.0,
            enable_gqa=q.shape[1] != k.shape[1],
        ))
    return torch.cat(outputs, dim=2).transpose(1, 2).contiguous(), None


AttentionInterface.register(ATTENTION, varlen_attention_forward)


@contextmanager
def varlen(model):
    """Use varlen attention inside the block; the model's own implementation is restored after
    (so a saved model never names an attention function that only exists in this process)."""
    config = model.config
    before = config._attn_implementation
    model.set_attn_implementation(ATTENTION)
    try:
        yield
    finally:
        model.set_attn_implementation(before)
