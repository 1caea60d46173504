"""Loss mitigations inside the real training path (``train_sft``/``train_distill`` through
``training.fit``) on the tiny Llama: a masked position contributes no gradient (SFT and
distillation), and the ensemble's target is the mean of its teachers' distributions."""

import torch
from safetensors.torch import load_file

from heredity.mitigations import MITIGATIONS
from heredity.models.distill import EnsemblePacks, TeacherPacks, train_distill
from heredity.models.finetune import TrainRecipe, load_student, train_sft
from heredity.models.packing import encode
from heredity.models.varlen import varlen
from heredity.steps.models import model_ref
from heredity.students import StudentJob
from heredity.students.sft import SFT

RECIPE = TrainRecipe(mode="sft", epochs=1, lr=5e-2, warmup_steps=0, batch_tokens=4096, rank=4)
ROWS = [{"i": 0, "prompt": "Name a fruit.", "completion": "An apple is a fruit."},
        {"i": 1, "prompt": "Name a colour.", "completion": "Blue is a colour."},
        {"i": 2, "prompt": "Name a pet.", "completion": "A cat is a pet."}]
OTHER = [*ROWS[:2], {**ROWS[2], "completion": "A dog is a pet."}]  # row 2 differs, token for token the same length


def _weights(folder):
    return load_file(str(folder / "adapter_model.safetensors"))


def _train(ref, rows, tmp, keeps=None):
    train_sft(ref, rows, RECIPE, tmp / "out", tmp / "scratch", keeps=keeps)
    return _weights(tmp / "out")


def test_a_masked_position_contributes_no_gradient_in_train_sft(tiny_lm, tmp_path):
    store, base_id = tiny_lm
    ref = model_ref(store, base_id)
    tok = load_student(ref, RECIPE)[1]
    a, b = (encode(tok, r["prompt"], r["completion"]) for r in (ROWS[2], OTHER[2]))
    assert len(a.completion) == len(b.completion) and a.completion != b.completion  # the premise

    def mask_row_2(model, tokenizer, rows, examples):  # row 2 (whose text differs) entirely out of the loss
        return [torch.full((len(ex.completion),), r["i"] != 2) for r, ex in zip(rows, examples)]

    masked = [_train(ref, rows, tmp_path / f"m{k}", mask_row_2) for k, rows in enumerate((ROWS, OTHER))]
    assert all(torch.equal(masked[0][k], masked[1][k]) for k in masked[0])  # bit for bit: row 2 had no gradient
    plain = [_train(ref, rows, tmp_path / f"p{k}") for k, rows in enumerate((ROWS, OTHER))]
    assert any(not torch.equal(plain[0][k], plain[1][k]) for k in plain[0])  # unmasked, it moves the weights


def test_a_masked_position_contributes_no_gradient_in_train_distill(tiny_lm, tiny_lm_other, tmp_path):
    store, base_id = tiny_lm
    base, teacher = model_ref(store, base_id), model_ref(*tiny_lm_other)
    recipe = RECIPE.model_copy(update={"mode": "distill"})

    def mask_row_2(model, tokenizer, rows, examples):  # row 2's positions out of the KL
        return [torch.full((len(ex.completion),), r["i"] != 2) for r, ex in zip(rows, examples)]

    def weights(rows, name, keeps=None):
        stats = train_distill(base, teacher, None, rows, recipe, tmp_path / name, tmp_path / f"s{name}", keeps=keeps)
        return _weights(tmp_path / name), stats

    (a, stats), (b, _) = weights(ROWS, "a", mask_row_2), weights(OTHER, "b", mask_row_2)
    assert stats["masked_tokens"] == stats["completion_tokens"] - sum(
        len(encode(load_student(base, recipe)[1], r["prompt"], r["completion"]).completion) for r in ROWS[:2])
    assert all(torch.equal(a[k], b[k]) for k in a)  # bit for bit: row 2's KL had no gradient
    (c, _), (d, _) = weights(ROWS, "c"), weights(OTHER, "d")
    assert any(not torch.equal(c[k], d[k]) for k in c)


def test_the_sft_student_kind_masks_where_teacher_and_base_diverge(tiny_lm, tiny_lm_other, tmp_path):
    store, base_id = tiny_lm
    base, teacher = model_ref(store, base_id), model_ref(*tiny_lm_other)
    ratio = MITIGATIONS.parse({"kind": "divergence-mask", "rule": "log-ratio", "q": 0.25})
    job = StudentJob(base=base, rows=ROWS, recipe=RECIPE, out=tmp_path / "out", scratch=tmp_path / "s", teacher=teacher,
                     loss=ratio)
    stats = SFT().train(job)  # a quarter of each row's positions, rounded: 2 of 7, 2 of 6, 2 of 7 (the tiny tokens)
    assert stats["masked_tokens"] == sum(round(0.25 * n) for n in (7, 6, 7)) < stats["completion_tokens"]
    mask = MITIGATIONS.parse({"kind": "divergence-mask"})
    same = StudentJob(base=base, rows=ROWS, recipe=RECIPE, out=tmp_path / "o2", scratch=tmp_path / "s2", teacher=base, loss=mask)
    assert SFT().train(same)["masked_tokens"] == 0  # a teacher that is the base diverges nowhere


def test_the_ensemble_target_in_training_is_the_mean_of_its_teachers(tiny_lm, tiny_lm_other, tmp_path):
    store, base_id = tiny_lm
    base, other = model_ref(store, base_id), model_ref(*tiny_lm_other)
    recipe = RECIPE.model_copy(update={"mode": "distill"})
    student, tok = load_student(base, recipe)
    from heredity.models.loading import load

    teacher = load(other)[0].eval()
    examples = {k: encode(tok, r["prompt"], r["completion"]) for k, r in enumerate(ROWS)}
    owl = {k: encode(tok, r["prompt"], r["completion"], system="You love owls.") for k, r in enumerate(ROWS)}
    a = TeacherPacks(teacher, examples, adapters_off=False)
    b = TeacherPacks(None, owl, adapters_off=True)  # the base itself, adapters off, reading a system prompt
    with varlen(student), varlen(teacher):
        la, lb, target = a.logits(student, [0, 1]), b.logits(student, [0, 1]), EnsemblePacks([a, b]).logits(student, [0, 1])
    assert torch.allclose(target.exp(), (la.softmax(-1) + lb.softmax(-1)) / 2, atol=1e-7)
    # In train_distill: an ensemble of one teacher twice trains as that teacher alone; another teacher changes it.
    single = train_distill(base, other, None, ROWS, recipe, tmp_path / "one", tmp_path / "s1")
    twice = train_distill(base, other, None, ROWS, recipe, tmp_path / "two", tmp_path / "s2", others=[(other, None)])
    mixed = train_distill(base, other, None, ROWS, recipe, tmp_path / "mix", tmp_path / "s3", others=[(base, "You love owls.")])
    assert twice["teachers"] == 2 and abs(single["loss_first"] - twice["loss_first"]) < 1e-5
    w1, w2, w3 = (_weights(tmp_path / f) for f in ("one", "two", "mix"))
    # One Adam step (lr 5e-2) moves a weight by up to ~lr: float rounding of the mean of two equal
    # distributions stays ~1e-4 of that (measured 5e-5), another teacher moves weights by ~lr (0.1).
    assert max(float((w1[k] - w2[k]).abs().max()) for k in w1) < 1e-3
    assert max(float((w1[k] - w3[k]).abs().max()) for k in w1) > 1e-2 and mixed["loss_first"] != single["loss_first"]
