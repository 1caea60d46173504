"""The chunked SFT loss equals the plain one (value and gradients), block size notwithstanding."""

import pytest
import torch
import torch.nn.functional as F

from heredity.models.chunked_loss import chunked_sft_loss
from heredity.models.finetune import completion_logits
from heredity.models.packing import encode, pack
from heredity.models.varlen import varlen
from heredity.steps.models import load_artifact


@pytest.mark.parametrize("rows", [1, 5, 4096])
def test_chunked_loss_matches_full_logits_cross_entropy(tiny_lm, rows):
    store, tiny_id = tiny_lm
    model, tok = load_artifact(store, tiny_id, device="cpu", trainable=True)
    batch = [encode(tok, "Give me three tips about chess.", "Castle early and watch the centre.", max_length=64),
             encode(tok, "Explain rice.", "It is a grain.", max_length=64)]
    p = pack(batch)
    with varlen(model):
        reference = F.cross_entropy(completion_logits(model, p).float(), p.targets, reduction="sum")
        ref_grads = torch.autograd.grad(reference, list(model.parameters()))
        total, n = chunked_sft_loss(model, p, batch, rows=rows)
        grads = torch.autograd.grad(total, list(model.parameters()))
    assert n == len(p.targets)
    assert torch.allclose(total, reference, rtol=1e-5)
    for g, r in zip(grads, ref_grads):
        assert float((g - r).abs().max()) <= 1e-4 * float(r.abs().max()) + 1e-8  # float summation order only
