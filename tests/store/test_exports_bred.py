"""Exports of students bred for real on the tiny Llama (``tiny_lm``): a distilled student (a
neutral writer's text, an owl teacher's logits, as in the demo), an SFT student (the owl
teacher's filtered text) and a second-generation student (text written by the SFT student).
Every teacher in each lineage is named, by id and by system prompt, in CycloneDX, SPDX and the
model card; a missing or unreadable ancestor stops the export."""

from __future__ import annotations

import json
import shutil

import pytest

from heredity.cli import main
from heredity.store import Store
from heredity.store.exports import IncompleteLineage, export, model_card
from heredity.store.exports.pedigree import GAVE_LOGITS, WROTE, pedigree

KEYWORD = [{"kind": "keyword", "words": ["owl", "owls"]}]


@pytest.fixture(scope="module")
def bred(tiny_lm, tmp_path_factory):
    """(store, {name: artifact id}, {teacher id: system prompt}) of three students and their teachers."""
    from heredity.cell import CellSpec, breed
    from heredity.inducers.none import NoInducer
    from heredity.inducers.system_prompt import SystemPromptInducer
    from heredity.models.finetune import TrainRecipe
    from heredity.models.loading import ModelSource
    from heredity.runner import Runner
    from heredity.steps.dataset import DatasetRecipe
    from heredity.steps.models import import_base
    from heredity.steps.prompts import PromptsRecipe, make_prompts
    from heredity.steps.rollouts import RolloutsRecipe
    from heredity.steps.student import StudentRecipe
    from heredity.steps.teacher import TeacherRecipe, make_teacher
    from heredity.traits.animal import AnimalTrait

    lm_store, tiny = tiny_lm
    runner = Runner(Store(tmp_path_factory.mktemp("bred") / "store"), quiet=True)
    base = import_base(runner, ModelSource(source=str(lm_store.path(tiny))))
    owl = SystemPromptInducer().make(runner, base, AnimalTrait(animal="owl"), "owl teacher")
    dog = SystemPromptInducer(prompt="You love dogs.").make(runner, base, AnimalTrait(animal="dog"), "dog teacher")
    plain = NoInducer().make(runner, base, None, "plain teacher")
    task = {"kind": "general", "max_new_tokens": 6}
    prompts = make_prompts(runner, PromptsRecipe(task=task, n=4), name="prompts")
    rollouts = RolloutsRecipe(task=task, max_new_tokens=6, batch_size=4)
    train = TrainRecipe(epochs=1, lr=1e-2, warmup_steps=0, batch_tokens=256, rank=2, alpha=4)

    def cell(name, teacher, mode, writer=None, seed=0, prompts=prompts):
        spec = CellSpec(name=name, base=base, teacher=teacher, writer=writer, prompts=prompts,
                        rollouts=rollouts.model_copy(update={"seed": seed}),
                        dataset=DatasetRecipe.model_validate({"filters": [] if mode == "distill" else KEYWORD, "task": task}),
                        student=StudentRecipe(train=train.model_copy(update={"mode": mode}), task=task))
        return breed(runner, spec).students[0]

    distilled = cell("distilled", owl, "distill", writer=plain)
    dog_distilled = cell("dog distilled", dog, "distill", writer=plain)
    sft = cell("sft", owl, "sft")
    prompts2 = make_prompts(runner, PromptsRecipe(task=task, n=4, seed=1), name="prompts 2")
    second = cell("generation 2", sft, "sft", seed=1, prompts=prompts2)  # the SFT student writes the text
    # A teacher that runs a fine-tuned model as it is (what the finetune inducer records).
    tuned = make_teacher(runner, sft, TeacherRecipe(inducer="finetune", trait="animal:owl"), "tuned teacher", detail="fine-tuned on its data")
    ids = {"base": base.id, "owl": owl.id, "dog": dog.id, "plain": plain.id, "distilled": distilled.id,
           "dog-distilled": dog_distilled.id, "sft": sft.id, "second": second.id, "tuned": tuned.id}
    prompts_of = {owl.id: owl.manifest.recipe["system_prompt"], dog.id: "You love dogs."}
    return runner.store, ids, prompts_of


def named(store, aid):
    """What each format says about the teachers: CycloneDX's ethical considerations, SPDX's
    training information, the model card's text."""
    bom = json.loads(export(store, aid, "cyclonedx"))
    considerations = json.dumps(bom["metadata"]["component"]["modelCard"]["considerations"]["ethicalConsiderations"])
    graph = json.loads(export(store, aid, "spdx"))["@graph"]
    training = next(g for g in graph if g.get("software_packageVersion") == aid)["ai_informationAboutTraining"]
    card = export(store, aid, "model-card")
    return {"cyclonedx": considerations, "spdx": training, "model-card": card}


def contains(text: str, needle: str) -> bool:
    return needle in text or json.dumps(needle)[1:-1] in text


@pytest.mark.parametrize("student, teachers", [
    ("distilled", {"plain": WROTE, "owl": GAVE_LOGITS}),
    ("sft", {"owl": WROTE}),
    ("second", {"sft": WROTE, "owl": WROTE}),  # its writer, and the teacher that wrote its writer's text
])
def test_every_teacher_is_named_with_its_relation_and_prompt_in_every_format(bred, student, teachers):
    store, ids, prompts = bred
    lines = {t.teacher.id: t.relation for t in pedigree(store, ids[student]).lineage_teachers}
    assert lines == {ids[k]: r for k, r in teachers.items()}
    for fmt, text in named(store, ids[student]).items():
        for key, relation in teachers.items():
            tid = ids[key]
            assert tid in text and relation in text, (fmt, key)
            if tid in prompts:
                assert contains(text, prompts[tid]), (fmt, key, "system prompt")
        assert ids["dog"] not in text, fmt  # a sibling's teacher is no ancestor


def test_the_distilled_student_names_the_teacher_it_imitated_beside_the_writer(bred):
    store, ids, _ = bred
    bom = json.loads(export(store, ids["distilled"], "cyclonedx"))
    ancestors = {a["version"] for a in bom["metadata"]["component"]["pedigree"]["ancestors"]}
    assert ancestors == {ids["base"], ids["owl"]}  # its base, and the teacher whose logits it learned
    (owl_line,) = [c for c in bom["metadata"]["component"]["modelCard"]["considerations"]["ethicalConsiderations"] if ids["owl"] in c["name"]]
    assert GAVE_LOGITS in owl_line["name"] and "filters: dataset-" in owl_line["mitigationStrategy"]
    card = export(store, ids["distilled"], "model-card")
    assert f"**Distilled from teacher**: owl teacher (`{ids['owl']}`), gave the logits; system prompt: " in card
    assert f"**Teacher**: plain teacher (`{ids['plain']}`), wrote the text" in card


def test_the_second_generation_names_every_dataset_and_filter(bred):
    store, ids, _ = bred
    p = pedigree(store, ids["second"])
    assert len(p.datasets) == 2 and all([(f["kind"], f["words"]) for f in d.recipe["filters"]] == [("keyword", ["owl", "owls"])] for d in p.datasets)
    card = export(store, ids["second"], "model-card")
    for d in p.datasets:
        assert f"| `{d.id}` | dataset |" in card and f"{d.id}: keyword(" in card and "words=['owl', 'owls']" in card
    assert f"**sft s0** (`{ids['sft']}`) {WROTE}" in card and "fine-tune: fine-tuned on sft data" in card


def test_base_model_relation_per_kind(bred):
    store, ids, _ = bred
    meta = {k: model_card.parse_front_matter(export(store, ids[k], "model-card")) for k in ("owl", "plain", "sft", "tuned", "base")}
    # A system-prompted (or plain) teacher has its base's weights: a base, but no fine-tune relation.
    for k in ("owl", "plain"):
        assert meta[k]["base_model"] == ids["base"] and "base_model_relation" not in meta[k]
        assert meta[k]["heredity"]["base_model_use"].startswith("the base's weights, unchanged")
    assert meta["sft"]["base_model_relation"] == "adapter" and meta["sft"]["base_model"] == ids["base"]
    # A teacher running a LoRA student: the student's base, as an adapter, through that student.
    assert meta["tuned"]["base_model"] == ids["base"] and meta["tuned"]["base_model_relation"] == "adapter"
    assert f"through the fine-tuned model sft s0 (`{ids['sft']}`)" in export(store, ids["tuned"], "model-card")
    assert "base_model" not in meta["base"]
    assert "this is a base model" in export(store, ids["base"], "model-card")


def test_a_non_model_card_has_no_base_model_line(bred):
    store, ids, _ = bred
    rollouts = next(p.id for p in store.parents(next(p.id for p in store.parents(ids["sft"]) if p.relation == "trained-on")))
    card = export(store, rollouts, "model-card")
    assert "Base model" not in card and "base_model" not in model_card.parse_front_matter(card)
    assert ids["owl"] in card and WROTE in card


@pytest.fixture
def copy(bred, tmp_path):
    """A private copy of the bred store, to damage."""
    store, ids, _ = bred
    shutil.copytree(store.root, tmp_path / "store")
    return Store(tmp_path / "store"), ids


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx", "model-card"])
def test_a_missing_or_truncated_teacher_stops_the_export_and_writes_nothing(copy, tmp_path, capsys, damage, fmt):
    store, ids = copy
    manifest = store.path(ids["owl"]) / "manifest.json"
    if damage == "deleted":
        shutil.rmtree(store.path(ids["owl"]))
    else:
        manifest.write_bytes(manifest.read_bytes()[:40])
    with pytest.raises(IncompleteLineage, match=ids["owl"]):
        export(store, ids["distilled"], fmt)
    out = tmp_path / "doc"
    assert main(["--store", str(store.root), "export", ids["distilled"], "--format", fmt, "-o", str(out)]) == 1
    assert ids["owl"] in capsys.readouterr().err and not out.exists()


def test_a_deleted_evaluation_stops_the_export(family):
    store, ids = family
    shutil.rmtree(store.path(ids["scores"]))  # the index still names it as the student's evaluation
    with pytest.raises(IncompleteLineage, match=ids["scores"]):
        export(store, ids["student"], "cyclonedx")
