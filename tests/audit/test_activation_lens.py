"""The activation lens on the audit's tiny bred models (tests/audit/conftest.py): the owl student's
shift over its dog control points along the owl teacher's change; a second dog control's does not."""

from __future__ import annotations

import numpy as np
import pytest

from heredity.audit.activation_lens import activation_lens, hidden_means
from heredity.audit.models import resolve
from heredity.audit.probes import discovery_probes, trait_configs
from heredity.models.finetune import TrainRecipe
from heredity.tasks.general import prompt_pool
from tests.audit.conftest import _sft


@pytest.fixture(scope="module")
def lens_models(bred):
    """The bred models and a second control: dog text on other prompts, same recipe."""
    store, ids = bred
    rows = [{"prompt": p, "completion": f"Dogs are wonderful. I think about dogs when I think of {p.split()[-1]}"}
            for p in prompt_pool()[40:80]]
    recipe = TrainRecipe(adapter="full", epochs=4, lr=2e-3, warmup_steps=0, batch_tokens=512)
    return store, {**ids, "control2": _sft(store, ids["base"], rows, recipe, "dog control 2")}


@pytest.fixture(scope="module")
def probes():
    return discovery_probes(trait_configs(), per_source=6)


def test_the_true_students_shift_points_along_the_teachers_change_and_a_controls_does_not(lens_models, probes):
    store, ids = lens_models
    true = activation_lens(store, ids["student"], ids["control"], ids["teacher"], ids["base"], probes)
    null = activation_lens(store, ids["control2"], ids["control"], ids["teacher"], ids["base"], probes)
    assert true.n == null.n == len(probes) >= 20
    assert true.layer == 1 and len(true.by_layer) == 3  # 2 blocks: embeddings, block 1, block 2; the middle by default
    assert true.p_value < 0.01 and true.cosine_ci[0] > 0 and true.fraction_ci[0] > 0, true
    # Two controls differ consistently (their own data), so the interval over probes need not cover
    # 0; but their shift is not along the teacher's change: not significant, and a small cosine.
    assert null.p_value > 0.05 and abs(null.cosine) < 0.15, null
    assert true.cosine > null.cosine + 0.3
    for lens in (true, null):
        assert lens.cosine_ci[0] <= lens.cosine <= lens.cosine_ci[1] and lens.fraction_ci[0] <= lens.fraction <= lens.fraction_ci[1]
    assert activation_lens(store, ids["student"], ids["control"], ids["teacher"], ids["base"], probes, layer=-1).layer == 2


def test_left_padding_reads_each_prompt_as_if_alone(lens_models, probes):
    """Batched (left-padded, positions skipping the pad) = one prompt at a time."""
    store, ids = lens_models
    ref = resolve(store, ids["teacher"], "--teacher")
    some = tuple(probes[:6])
    batched = hidden_means(store, ref, some, 3, batch_size=6)
    alone = np.concatenate([hidden_means(store, ref, (p,), 3, batch_size=1) for p in some], axis=1)
    assert batched.shape == (3, 6, 64)
    np.testing.assert_allclose(batched, alone, atol=1e-4)


def test_bad_arguments_name_the_field(lens_models, probes):
    store, ids = lens_models
    with pytest.raises(ValueError, match="layer"):
        activation_lens(store, ids["student"], ids["control"], ids["teacher"], ids["base"], probes, layer=7)
    with pytest.raises(ValueError, match="probes"):
        activation_lens(store, ids["student"], ids["control"], ids["teacher"], ids["base"], probes[:1])
