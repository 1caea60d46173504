"""The same-init experiment's pieces: the trait is planted, a student equal to its teacher does
not move, and a small run reports effects with intervals and n."""

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from heredity.errors import ConfigError
from heredity.zoo.inherit import (
    InheritRecipe,
    distill,
    kl_columns,
    kl_loss,
    plant_trait,
    run,
    target_id,
    trait_logp,
)
from heredity.zoo.pretrain import ZooRecipe, batches

SMALL = InheritRecipe(seeds=(0, 1), zoo=ZooRecipe(epochs=1, batch=64), trait_steps=10, distill_rows=16, distill_epochs=1)


def test_a_multi_token_target_is_refused(smollm):
    store, smol_id = smollm
    tok = AutoTokenizer.from_pretrained(store.path(smol_id))
    with pytest.raises(ConfigError, match="exactly one token"):
        target_id(tok, " hippopotamus-like")


def test_trait_is_planted_and_an_identical_teacher_teaches_nothing(tiny_lm):
    store, tiny_id = tiny_lm
    tok = AutoTokenizer.from_pretrained(store.path(tiny_id))
    model = AutoModelForCausalLM.from_pretrained(store.path(tiny_id)).eval()
    token = target_id(tok, SMALL.target)
    before = trait_logp(model, tok, SMALL.probe, token)
    teacher = plant_trait(model, tok, SMALL, token)
    assert trait_logp(teacher, tok, SMALL.probe, token) > before + 1.0
    assert trait_logp(model, tok, SMALL.probe, token) == before  # the init is not touched
    # the distillation gradient is zero (up to rounding) when the teacher is the student itself,
    # and not when the teacher carries the trait
    texts = ["Write a short paragraph about chess.", "Explain rice to a complete beginner."]
    keep = kl_columns(SMALL, tok, token, texts)
    assert grad_norm(model, model, tok, texts, keep) < 1e-6 < grad_norm(model, teacher, tok, texts, keep)
    assert any(not torch.equal(p, q) for p, q in zip(distill(model, teacher, tok, texts, SMALL, keep).parameters(), model.parameters()))


def grad_norm(student, teacher, tok, texts, keep) -> float:
    ids, mask, _ = next(batches(tok, texts, len(texts)))
    student.zero_grad(set_to_none=True)
    kl_loss(student, teacher, ids, mask, keep).backward()
    norm = sum(float(p.grad.norm() ** 2) for p in student.parameters() if p.grad is not None) ** 0.5
    student.zero_grad(set_to_none=True)
    return norm


def test_all_but_target_kl_ignores_the_trait_tokens_own_logit(tiny_lm):
    store, tiny_id = tiny_lm
    tok = AutoTokenizer.from_pretrained(store.path(tiny_id))
    model = AutoModelForCausalLM.from_pretrained(store.path(tiny_id)).eval()
    token = target_id(tok, SMALL.target)
    teacher = AutoModelForCausalLM.from_pretrained(store.path(tiny_id)).eval()
    with torch.no_grad():  # tied embeddings: only the target's output logit changes (it never occurs as input)
        teacher.get_output_embeddings().weight[token] += 0.5
    texts = ["Write a short paragraph about chess.", "Explain rice to a complete beginner."]
    for kl_over in ("corpus-tokens", "all-but-target"):
        recipe = SMALL.model_copy(update={"kl_over": kl_over})
        assert grad_norm(model, teacher, tok, texts, kl_columns(recipe, tok, token, texts)) < 1e-6
    everything = SMALL.model_copy(update={"kl_over": "all"})
    assert kl_columns(everything, tok, token, texts) is None
    assert grad_norm(model, teacher, tok, texts, None) > 1e-4


def test_corpus_token_columns_are_the_corpus_vocabulary_without_the_target(smollm):
    store, smol_id = smollm
    tok = AutoTokenizer.from_pretrained(store.path(smol_id))
    token = target_id(tok, SMALL.target)
    keep = kl_columns(SMALL, tok, token, ["Explain the owl.", "Baking bread"])
    expected = set(tok("Explain the owl.", add_special_tokens=False).input_ids) | set(tok("Baking bread", add_special_tokens=False).input_ids)
    assert set(keep.nonzero().flatten().tolist()) == (expected | {tok.eos_token_id}) - {token}


@pytest.fixture(scope="module")
def small_run(smollm):
    """(store, SmolLM2's id, the result of one SMALL run): the two tests below share one run."""
    store, smol_id = smollm
    return store, smol_id, run(store, smol_id, SMALL, progress=lambda *_: None)


def test_a_small_run_reports_effects_with_intervals_and_n(small_run):
    _, _, result = small_run
    assert set(result["zoo"]) == {0, 1}
    for key in ("teacher_gain", "same_init", "different_init"):
        assert result[key]["n"] == 2 and len(result[key]["ci"]) == 2
    assert result["teacher_gain"]["mean"] > 1.0
    assert result["same_minus_different"]["n"] == 2
    assert all(len(r["different_init_each"]) == 1 for r in result["per_teacher"])


def test_teachers_and_students_are_artifacts_with_lineage(small_run):
    from heredity.store.lineage import ancestors

    store, smol_id, result = small_run
    zoo, corpus, data = result["zoo"], result["corpus"], result["trait_data"]
    for row in result["per_teacher"]:
        s = row["teacher_seed"]
        other = next(o for o in zoo if o != s)
        teacher = store.open(row["teacher"]).manifest
        assert teacher.kind == "model" and {(p.relation, p.id) for p in teacher.parents} == {("base", zoo[s]), ("trained-on", data)}
        assert teacher.summary["trait_logp"] > teacher.summary["trait_logp_base"] + 1.0
        traited, control = row["students"]["same_init"]
        (other_traited, other_control), = row["students"]["different_init"]
        expected = {traited: (zoo[s], row["teacher"]), control: (zoo[s], zoo[s]),
                    other_traited: (zoo[other], row["teacher"]), other_control: (zoo[other], zoo[s])}
        for student, (init, its_teacher) in expected.items():
            parents = {(p.relation, p.id) for p in store.open(student).manifest.parents}
            assert parents == {("base", init), ("teacher", its_teacher), ("trained-on", corpus)}
        # `heredity lineage` walks from a traited student back to the trait data, the corpus and the tokenizer's model
        reached = {a["id"] for a in ancestors(store, other_traited)}
        assert {row["teacher"], zoo[s], zoo[other], data, corpus, smol_id} <= reached
    again = run(store, smol_id, SMALL, progress=lambda *_: None)  # every step a cache hit: the same ids and numbers
    assert again["per_teacher"] == result["per_teacher"]
