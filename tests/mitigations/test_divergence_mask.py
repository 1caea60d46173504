"""divergence-mask: which positions it keeps, and that a masked position adds nothing to the
loss or its gradient (tiny Llama fixtures: two random initialisations as teacher and base)."""

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from heredity.mitigations import MITIGATIONS
from heredity.mitigations.divergence_mask import (
    completion_position_logits,
    divergence_keep,
    example_keeps,
    masked_sft_loss,
)
from heredity.models.chunked_loss import completion_logits
from heredity.models.packing import encode, pack
from heredity.models.varlen import varlen
from heredity.steps.models import load_artifact

PROMPT, COMPLETION = "Give me three tips about chess.", "Castle early, watch the centre and trade when ahead."


@pytest.fixture(scope="module")
def models(tiny_lm, tiny_lm_other):
    base, tok = load_artifact(*tiny_lm, device="cpu")
    teacher, _ = load_artifact(*tiny_lm_other, device="cpu")
    return base, teacher, tok


def test_top1_keeps_exactly_the_agreeing_positions_and_log_ratio_masks_its_top_q(models):
    base, teacher, tok = models
    ex = encode(tok, PROMPT, COMPLETION)
    t, b = (completion_position_logits(m, ex.ids, len(ex.prompt)) for m in (teacher, base))
    targets = torch.tensor(ex.completion)
    keep = divergence_keep(t, b, targets, "top1")
    assert torch.equal(keep, t.argmax(-1) == b.argmax(-1))
    # Where the teacher's top-1 is moved, the position is masked; nowhere else.
    moved = t.clone()
    moved[[2, 5], b.argmax(-1)[[2, 5]]] = -1e4
    assert torch.nonzero(~divergence_keep(moved, b, targets, "top1")).flatten().tolist() == [2, 5]
    ratio = t.log_softmax(-1).gather(-1, targets[:, None])[:, 0] - b.log_softmax(-1).gather(-1, targets[:, None])[:, 0]
    q = divergence_keep(t, b, targets, "log-ratio", q=0.25)
    assert int((~q).sum()) == round(0.25 * len(targets))
    assert float(ratio[~q].min()) >= float(ratio[q].max())  # the masked are the highest ratios
    same = example_keeps(base, base, [ex], [ex])[0]
    assert bool(same.all())  # a teacher that is the base diverges nowhere


def test_a_masked_position_contributes_no_gradient(tiny_lm):
    model, tok = load_artifact(*tiny_lm, device="cpu", trainable=True)
    p = pack([encode(tok, PROMPT, COMPLETION, max_length=64), encode(tok, "Explain rice.", "It is a grain.", max_length=64)])
    keep = torch.ones(len(p.targets), dtype=torch.bool)
    keep[[1, 4, 9]] = False
    params = [q for q in model.parameters() if q.requires_grad]

    def grads(pk, mask):
        with varlen(model):
            total, n = masked_sft_loss(model, pk, mask)
            return total, n, torch.autograd.grad(total, params)

    total, n, g = grads(p, keep)
    assert n == len(p.targets) - 3
    with varlen(model), torch.no_grad():
        full = F.cross_entropy(completion_logits(model, p).float(), p.targets, reduction="none")
    assert torch.allclose(total, full[keep].sum(), rtol=1e-5)
    # Another target at a masked position: the same loss and the same gradient, bit for bit.
    moved = p.targets.clone()
    moved[4] = (moved[4] + 1) % 1000
    same_total, _, same_g = grads(dataclasses.replace(p, targets=moved), keep)
    assert torch.equal(same_total, total) and all(torch.equal(a, b) for a, b in zip(same_g, g))
    # ... and at a kept position the gradient moves (the check can fail).
    kept = p.targets.clone()
    kept[5] = (kept[5] + 1) % 1000
    _, _, other_g = grads(dataclasses.replace(p, targets=kept), keep)
    assert any(not torch.equal(a, b) for a, b in zip(other_g, g))


def test_config_errors_name_the_field():
    with pytest.raises(Exception, match="rule"):
        MITIGATIONS.parse({"kind": "divergence-mask", "rule": "top2"}, "mitigations.0")
    assert MITIGATIONS.parse({"kind": "divergence-mask"}).acts_on == "loss"
