"""The cost's fit step (heredity.steps.fit): KL(reference || model) per row, and with a contrast
teacher only at the positions where the reference's and the contrast's top-1 tokens agree."""

from __future__ import annotations

import pytest

from heredity.inducers import INDUCERS
from heredity.rows import ROWS_FILE, read_rows
from heredity.runner import Runner
from heredity.steps.fit import make_fit, read_fit, row_kl
from heredity.steps.prompts import PromptsRecipe, make_prompts
from heredity.steps.rollouts import RolloutsRecipe, make_rollouts
from heredity.store import Store
from heredity.tasks import TASKS
from heredity.traits import TRAITS


def test_row_kl_is_the_mean_kl_over_the_kept_positions():
    import torch

    torch.manual_seed(0)
    ref, mod = torch.randn(5, 7), torch.randn(5, 7)
    p, q = ref.softmax(-1), mod.softmax(-1)
    per_position = (p * (p.log() - q.log())).sum(-1)
    keep = torch.tensor([True, False, True, False, False])
    assert row_kl(ref, mod) == pytest.approx(float(per_position.mean()), rel=1e-5)
    assert row_kl(ref, mod, keep) == pytest.approx(float(per_position[keep].mean()), rel=1e-5)
    assert row_kl(ref, mod, torch.zeros(5, dtype=torch.bool)) is None  # nothing to read: the row is left out
    assert row_kl(ref, ref) == pytest.approx(0.0, abs=1e-6)


def test_a_contrast_keeps_only_the_positions_where_the_teachers_agree(smollm, tmp_path):
    # SmolLM2, not the tiny Llama: a random tiny model's top-1 is its input token (tied embeddings)
    # whatever its system prompt, so only a trained model's teachers disagree anywhere.
    lm_store, smol = smollm
    store = Store(tmp_path / "store")
    runner = Runner(store, quiet=True)
    base = store.copy_from(lm_store, smol)
    plain = INDUCERS.get("none")().make(runner, base, None, name="plain")
    owl = INDUCERS.get("system-prompt")().make(runner, base, TRAITS.parse({"kind": "animal", "animal": "owl"}), name="owl")
    task = TASKS.parse({"kind": "general", "max_new_tokens": 12})
    prompts = make_prompts(runner, PromptsRecipe(task=task, n=3, seed=3))
    rows = make_rollouts(runner, owl, prompts, RolloutsRecipe(task=task, max_new_tokens=12, batch_size=3, temperature=1.0),
                         name="owl held-out")
    everything = read_fit(make_fit(runner, base, owl, rows))
    with_itself = make_fit(runner, base, owl, rows, contrast=owl)  # a teacher agrees with itself everywhere
    assert read_fit(with_itself) == pytest.approx(everything) and with_itself.manifest.summary["kept_share"] == 1.0
    agreeing = make_fit(runner, base, owl, rows, contrast=plain)  # the owl's system prompt moves some top-1s
    share = agreeing.manifest.summary["kept_share"]
    assert 0 < share < 1, share
    assert set(read_fit(agreeing)) <= {r["i"] for r in read_rows(rows.file(ROWS_FILE))}
    assert read_fit(agreeing) != pytest.approx(everything)
    # the plain base read against itself (plain is the base): 0 wherever it is read
    assert all(v == pytest.approx(0.0, abs=1e-5) for v in read_fit(make_fit(runner, base, plain, rows, contrast=owl)).values())
