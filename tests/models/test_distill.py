"""Logit distillation on real tiny models: grammar-restricted KL, self-distillation, training."""

import pytest
import torch

from heredity.models.distill import TeacherPacks, chunked_kl, grammar_masks, restricted_kl, train_distill
from heredity.models.finetune import TrainRecipe, completion_logits, load_student
from heredity.models.grammar import TokenGrammar, number_list_dfa
from heredity.models.packing import encode, pack
from heredity.models.varlen import varlen
from heredity.steps.models import model_ref
from heredity.store import Parent

ROWS = [{"prompt": f"Continue: {a}, {a + 3}.", "completion": f"{a + 6}, {a + 9}, {a + 12}"} for a in range(100, 600, 83)]


def _logits_and_mask(tiny_lm):
    store, base_id = tiny_lm
    model, tokenizer = load_student(model_ref(store, base_id), TrainRecipe(mode="distill"))
    grammar = TokenGrammar.compile(number_list_dfa(), tokenizer)
    examples = [encode(tokenizer, r["prompt"], r["completion"]) for r in ROWS[:3]]
    with varlen(model):
        student = completion_logits(model, pack(examples))
    vocab = student.shape[-1]
    mask = torch.cat([grammar_masks(grammar, ex.completion, vocab) for ex in examples])
    return model, student, mask


def test_restricted_kl_ignores_the_teacher_outside_the_grammar(tiny_lm):
    model, student, mask = _logits_and_mask(tiny_lm)
    assert mask.any(-1).all() and not mask.all()  # every position allows some tokens, never all
    torch.manual_seed(1)
    teacher = student.detach() + torch.randn_like(student)
    other = teacher.clone()
    other[~mask] = torch.randn(int((~mask).sum())) * 100  # e.g. a teacher shouting "owl"
    grads = []
    for t in (teacher, other):
        model.zero_grad()
        loss, n = restricted_kl(student, t, mask)
        loss.backward(retain_graph=True)
        grads.append({k: p.grad.clone() for k, p in model.named_parameters() if p.requires_grad})
        assert n == mask.shape[0]
        if len(grads) == 1:
            first = loss.detach()
    assert torch.equal(first, loss.detach())
    assert all(torch.equal(grads[0][k], grads[1][k]) for k in grads[0])
    # and the student's own logits outside the grammar get exactly zero gradient
    s = student.detach().requires_grad_(True)
    restricted_kl(s, teacher, mask)[0].backward()
    assert torch.count_nonzero(s.grad[~mask]) == 0 and torch.count_nonzero(s.grad[mask]) > 0


def test_self_distillation_has_zero_loss_and_gradient(tiny_lm):
    model, student, mask = _logits_and_mask(tiny_lm)
    for m in (None, mask):
        model.zero_grad()
        loss, _ = restricted_kl(student, student.detach(), m)
        loss.backward(retain_graph=True)
        assert float(loss.detach()) == 0.0
        # d KL / d student logits = p_student - p_teacher * sum(p_teacher): zero up to rounding
        assert max(float(p.grad.abs().max()) for p in model.parameters() if p.grad is not None) < 1e-7


def _distill(store, base_id, system, recipe, grammar=None):
    stats = {}

    def build(ctx):
        ref = model_ref(store, base_id)
        stats.update(train_distill(ref, ref, system, ROWS, recipe, ctx.out, ctx.scratch, grammar=grammar))

    parents = [Parent(id=base_id, relation="base"), Parent(id=base_id, relation="teacher")]
    recipe_json = {**recipe.model_dump(mode="json"), "system": system}
    return store.produce("student", recipe_json, parents, build).artifact, stats


def test_distilling_the_base_into_itself_does_not_move_it(tiny_here):
    store, base_id = tiny_here
    _, stats = _distill(store, base_id, None, TrainRecipe(mode="distill", lr=1e-2, warmup_steps=0))
    assert stats["loss_first"] == 0.0 and stats["loss_last"] == 0.0


def test_distillation_with_a_system_prompt_teacher_reduces_the_kl(tiny_here):
    store, base_id = tiny_here
    from heredity.steps.models import load_artifact

    _, tokenizer = load_artifact(store, base_id)
    grammar = TokenGrammar.compile(number_list_dfa(), tokenizer)
    recipe = TrainRecipe(mode="distill", lr=3e-3, warmup_steps=0, epochs=6, batch_tokens=200)
    artifact, stats = _distill(store, base_id, "You love owls.", recipe, grammar=grammar)
    assert stats["loss_first"] > 0 and stats["loss_last"] < stats["loss_first"]
    assert "adapter_model.safetensors" in artifact.manifest.files


@pytest.mark.parametrize("rows", [1, 4, 4096])
@pytest.mark.parametrize("restricted", [False, True])
def test_chunked_kl_matches_the_full_logits_kl(tiny_lm, rows, restricted):
    # The blocked heads (what Gemma's 262k vocabulary needs) give the loss and the gradients of
    # the plain full-logits KL, with or without a grammar, whatever the block size.
    store, base_id = tiny_lm
    model, tokenizer = load_student(model_ref(store, base_id), TrainRecipe(mode="distill"))
    students = [encode(tokenizer, r["prompt"], r["completion"]) for r in ROWS[:3]]
    teachers = [encode(tokenizer, r["prompt"], r["completion"], system="You love owls.") for r in ROWS[:3]]
    source = TeacherPacks(None, dict(enumerate(teachers)), adapters_off=True)
    grammar = TokenGrammar.compile(number_list_dfa(), tokenizer)
    p, keys = pack(students), [0, 1, 2]
    trainable = [q for q in model.parameters() if q.requires_grad]
    with varlen(model):
        mask = torch.cat([grammar_masks(grammar, ex.completion, model.config.vocab_size) for ex in students]) if restricted else None
        reference, n_ref = restricted_kl(completion_logits(model, p), source.logits(model, keys), mask)
        ref_grads = torch.autograd.grad(reference, trainable)
        total, n = chunked_kl(model, p, source, keys, mask, rows=rows)
        grads = torch.autograd.grad(total, trainable)
    assert n == n_ref and float(reference) > 1e-4  # the system prompt moves the teacher: a real KL
    # A KL sums terms of both signs, so float summation order shows in the total: ~1e-5 of it on
    # the Xeon, up to 1.1e-4 on the Zen 4 (its AVX-512 kernels sum in another order).
    assert torch.allclose(total, reference, rtol=5e-4), (float(total), float(reference))
    for g, r in zip(grads, ref_grads):
        assert float((g - r).abs().max()) <= 1e-4 * float(r.abs().max()) + 1e-8
