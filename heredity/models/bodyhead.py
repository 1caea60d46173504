"""A causal LM split into its decoder stack and its output head, so callers compute logits only
for the rows and vocabulary columns they need (generation under a grammar needs 13 of 49k
columns; the exact estimator reorders the head's columns once per call).

The split is checked once against the model's own logits; where it does not hold (a biased
head, logit scaling or soft-capping) the whole model runs instead and ``hidden`` already holds
logits, which ``head`` then only selects from.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


class BodyHead:
    """``hidden(**forward_kwargs)`` -> [B, T, d] hidden states (or [B, T, V] logits, whole);
    ``head(columns=None)`` -> a function from hidden rows [N, d] to float logits [N, |columns|].

    ``last_only``: the whole-model fallback asks for the last position's logits only (generation).
    """

    def __init__(self, model, device, *, last_only: bool = False, atol: float = 1e-4):
        self.model = model
        self.last_only = last_only
        self.split = False
        try:
            body, linear = model.get_decoder(), model.get_output_embeddings()
            if callable(body) and getattr(linear, "bias", None) is None:
                self.body, self.weight = body, linear.weight
                with torch.inference_mode():
                    ids = torch.tensor([[1, 2, 3, 4]], device=device) % self.weight.shape[0]
                    expect = model(input_ids=ids).logits[0].float()
                    got = (body(input_ids=ids).last_hidden_state[0] @ self.weight.T).float()
                self.split = got.shape == expect.shape and torch.allclose(got, expect, atol=atol, rtol=atol)
        except (AttributeError, NotImplementedError, TypeError):
            self.split = False

    def hidden(self, **kwargs) -> torch.Tensor:
        if self.split:
            return self.body(**kwargs).last_hidden_state
        return self.model(**kwargs, **({"logits_to_keep": 1} if self.last_only else {})).logits

    def head(self, columns: torch.Tensor | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
        if self.split:
            weight = self.weight if columns is None else self.weight.index_select(0, columns)
            return lambda rows: (rows @ weight.T).float()
        return lambda rows: (rows if columns is None else rows.index_select(-1, columns)).float()
