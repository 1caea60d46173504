"""A KV-cache layer that appends in place.

transformers' ``DynamicLayer`` concatenates the whole cache with each new token, copying every
key and value of every row at every decode step (about a tenth of the time of a 135M model's
sampling on CPU). ``RoomyLayer`` keeps keys/values in a buffer with spare room and hands the
attention a view of the filled part.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer


class RoomyLayer(DynamicLayer):
    def __init__(self, room: int):
        super().__init__()
        self.room = room  # tokens of spare room to allocate when the buffer is full
        self._k: torch.Tensor | None = None
        self._v: torch.Tensor | None = None
        self._n = 0

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        n, add = self._n, key_states.shape[-2]
        k, v = self._k, self._v
        if k is None or v is None or n + add > k.shape[-2]:
            shape = (*key_states.shape[:2], n + add + self.room, key_states.shape[-1])
            grown_k, grown_v = key_states.new_empty(shape), value_states.new_empty(shape)
            if k is not None and v is not None and n:
                grown_k[:, :, :n], grown_v[:, :, :n] = k[:, :, :n], v[:, :, :n]
            k, v = self._k, self._v = grown_k, grown_v
        k[:, :, n : n + add] = key_states
        v[:, :, n : n + add] = value_states
        self._n = n + add
        self.keys, self.values = k[:, :, : self._n], v[:, :, : self._n]
        return self.keys, self.values

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self._k is not None and self._v is not None:
            k, v = self._k, self._v = self._k[indices], self._v[indices]
            self.keys, self.values = k[:, :, : self._n], v[:, :, : self._n]


def roomy_cache(room: int, prefix: Sequence[tuple[torch.Tensor, torch.Tensor]] = (), batch: int = 1,
                rows: torch.Tensor | None = None) -> DynamicCache:
    """A cache of ``RoomyLayer``s seeded with ``prefix`` keys/values: a batch-1 prefix repeated
    ``batch`` times, or the batch rows ``rows`` of a batched one. The source tensors are never
    written, so the same prefix can seed the next cache."""
    cache = DynamicCache()
    # further layers appear on first use; transformers calls this attribute, typed as a class, with no arguments
    cache.layer_class_to_replicate = lambda: RoomyLayer(room)  # type: ignore[assignment]
    cache.layers = []
    for k, v in prefix:
        if rows is not None:
            k, v = k.index_select(0, rows), v.index_select(0, rows)
        elif k.shape[0] != batch:
            k, v = k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1)
        layer = RoomyLayer(room)
        layer.update(k, v)
        cache.layers.append(layer)
    return cache
