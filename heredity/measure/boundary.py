"""Which tokens end a word: the boundary an exact surface form must be followed by."""

from __future__ import annotations

import weakref

# Masks per live tokenizer, {tokenizer: {vocab_size: mask}}: a weak key goes with its tokenizer,
# so a new tokenizer never gets a collected one's mask (an ``id()`` key could: Python reuses ids).
_MASKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def boundary_mask(tokenizer, vocab_size: int):
    """[V] bool: tokens that end a word when they follow one (start with a non-alphanumeric
    character, are empty, or are special tokens such as end-of-turn)."""
    import torch

    masks = _MASKS.setdefault(tokenizer, {})
    if vocab_size not in masks:
        n = min(len(tokenizer), vocab_size)
        texts = tokenizer.batch_decode([[i] for i in range(n)])
        mask = torch.zeros(vocab_size, dtype=torch.bool)  # ids beyond the tokenizer: never boundary
        mask[:n] = torch.tensor([not (t[:1].isalnum()) for t in texts])
        for i in tokenizer.all_special_ids:
            if i < vocab_size:
                mask[i] = True
        masks[vocab_size] = mask
    return masks[vocab_size]
