"""ensemble: SFT rows are drawn from the K teachers' answers to the same prompts; the
distillation target is the mean of the teachers' next-token distributions."""

import torch

from heredity.mitigations.divergence_mask import completion_position_logits
from heredity.mitigations.ensemble import draw_rows, mean_target
from heredity.models.packing import encode
from heredity.steps.models import load_artifact


def rows(tag: str, ids=range(40)):
    return [{"i": i, "prompt": f"prompt {i}", "completion": f"{tag} {i}"} for i in ids]


def test_each_row_comes_from_one_teacher_for_its_own_prompt():
    sets = [rows("traited"), rows("clean"), rows("other", ids=range(1, 40))]
    drawn, taken = draw_rows(sets, seed=0)
    assert [r["i"] for r in drawn] == list(range(1, 40))  # prompt 0 is not answered by every teacher: left out
    for r in drawn:
        assert r["prompt"] == f"prompt {r['i']}" and r["completion"].split() [1] == str(r["i"])
    assert sum(taken) == 39 and all(n > 5 for n in taken)  # every teacher contributes
    assert draw_rows(sets, seed=0) == (drawn, taken) and draw_rows(sets, seed=1)[0] != drawn  # seeded


def test_the_target_is_the_mean_of_the_teachers_distributions(tiny_lm, tiny_lm_other):
    a, tok = load_artifact(*tiny_lm, device="cpu")
    b, _ = load_artifact(*tiny_lm_other, device="cpu")
    ex = encode(tok, "Explain rice.", "It is a grain eaten across the world.")
    la, lb = (completion_position_logits(m, ex.ids, len(ex.prompt)) for m in (a, b))
    target = mean_target([la, lb])
    mean = (la.softmax(-1) + lb.softmax(-1)) / 2
    assert torch.allclose(target.exp(), mean, atol=1e-7)
    assert torch.allclose(target.exp().sum(-1), torch.ones(len(la)), atol=1e-5)
    assert torch.allclose(mean_target([la]), la.log_softmax(-1))  # one teacher: its own distribution
