from __future__ import annotations

import copy

import pytest

from heredity.config import validate
from heredity.diffing.flip import LogLikelihoodRatio, ProbeSimilarity
from heredity.errors import ConfigError
from heredity.experiments.diffing.config import DiffingConfig

OWL = {"kind": "animal", "animal": "owl"}
PIPELINE = {
    "prompts": {"task": {"kind": "general"}, "n": 64, "seed": 0},
    "teacher": {"inducer": "system-prompt", "trait": OWL},
}
GOOD = {
    "kind": "diffing",
    "name": "owl-diff",
    "a": PIPELINE,
    "b": {**PIPELINE, "teacher": {"inducer": "none"}},
    "factors": ["teacher"],
    "traits": [OWL],
    "flip": {"fractions": [0.05, 0.1], "scorer": {"kind": "probe-similarity", "layer": 20}, "test_fraction": 0.05},
    "interpolation": {"alphas": [0, 0.5, 1], "draws": 2},
}


def load(data):
    return validate(DiffingConfig, data, "diff.yaml")


def edited(**changes):
    data = copy.deepcopy(GOOD)
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = data
        for part in path:
            node = node[part]
        node[last] = value
    return data


def test_a_good_file_validates_with_typed_plugins():
    config = load(GOOD)
    assert config.factors == ["teacher"]
    assert isinstance(config.flip.scorer, ProbeSimilarity) and config.flip.scorer.layer == 20
    assert isinstance(load(edited(flip={"fractions": [0.05]})).flip.scorer, LogLikelihoodRatio)
    assert config.students.seeds == [0] and config.a.base.source == "smollm2-135m-instruct"
    # every field of the file is documented
    for model in (DiffingConfig, type(config.a), type(config.a.teacher), type(config.flip), type(config.interpolation)):
        for name, field in model.model_fields.items():
            assert field.description or name == "kind", f"{model.__name__}.{name} has no description"


@pytest.mark.parametrize(("data", "message"), [
    (edited(factors=["teacher", "tokenizer"]), "diff.yaml: factors: unknown factor 'tokenizer' (accepted: base, prompts, teacher, filter)"),
    (edited(factors=["teacher", "base"]), "diff.yaml: (top level): factors: 'base' is crossed but a.base and b.base are the same"),
    (edited(b=PIPELINE), "factors: 'teacher' is crossed but a.teacher and b.teacher are the same"),
    (edited(b__prompts={"task": {"kind": "general"}, "n": 32}), "a.prompts and b.prompts differ but 'prompts' is not crossed"),
    (edited(flip__fractions=[0.05, 1.5]), "diff.yaml: flip.fractions.1: a fraction must be strictly between 0 and 1 (got 1.5)"),
    (edited(flip__fractions=[0.0]), "flip.fractions.0: a fraction must be strictly between 0 and 1 (got 0.0)"),
    (edited(flip__test_fraction=0.02), "test_fraction 0.02 is not one of fractions [0.05, 0.1]"),
    (edited(flip__scorer={"kind": "gradient"}), "flip.scorer: unknown flip-set scorer 'gradient' (accepted: llr, probe-similarity)"),
    (edited(interpolation__alphas=[0, 2]), "interpolation.alphas.1: alpha must be between 0 and 1 (got 2.0)"),
    (edited(a__teacher={"inducer": "checkpoint"}), "a.teacher.inducer.model: required field is missing"),
    (edited(a__teacher={"inducer": "wish"}), "a.teacher.inducer: unknown inducer 'wish' (accepted: backdoor, checkpoint, finetune, none, system-prompt)"),
    (edited(a__teacher={"inducer": "finetune"}), "a.teacher: inducer 'finetune' needs a trait"),
    (edited(traits=[]), "diff.yaml: traits: "),
    (edited(path_order=["base"]), "path_order: ['base'] must list each of factors ['teacher'] once"),
])
def test_bad_files_name_the_field(data, message):
    with pytest.raises(ConfigError) as err:
        load(data)
    assert message in str(err.value)


def test_interpolation_needs_the_teacher_crossed():
    data = edited(factors=["base"], b=PIPELINE)
    data["b"] = {**PIPELINE, "base": {"source": "/models/other"}}
    with pytest.raises(ConfigError, match="interpolation: swaps teacher rollouts, so it needs 'teacher' in factors"):
        load(data)


# ---------------------------------------------------------------- mitigations as filter levels; the leak student


def with_mitigations(b: list, factors: list[str] | None = None, **extra) -> dict:
    data = edited(factors=factors or ["teacher", "filter"], **extra)
    data["b"] = {**data["b"], "mitigations": b}
    return data


def test_a_filter_level_takes_mitigations_and_old_files_keep_their_form():
    config = load(with_mitigations([{"kind": "paraphrase"}, {"kind": "filters", "filters": [{"kind": "keyword"}]},
                                    {"kind": "divergence-mask"}]))
    assert [m.kind for m in config.b.mitigations] == ["paraphrase", "filters", "divergence-mask"] and config.a.mitigations == []
    # A pipeline without mitigations, a flip section without leak_student: serialised as before
    # (the report's recipe is the file, so an old file's ids stay).
    old = load(GOOD).model_dump(mode="json")
    assert "mitigations" not in old["a"] and "mitigations" not in old["b"] and "leak_student" not in old["flip"]
    assert load(edited(flip={**GOOD["flip"], "leak_student": True})).model_dump(mode="json")["flip"]["leak_student"] is True
    assert load(edited(flip={**GOOD["flip"], "leak_student": False})).model_dump(mode="json") == old


@pytest.mark.parametrize(("data", "message"), [
    (with_mitigations([{"kind": "gradient-projection"}]),
     "b.mitigations.0: gradient-projection acts on the update, which a diffing cell's student does not support; accepted: "
     "data mitigations (paraphrase, ensemble, adversarial-filter, filters) and loss mitigations (divergence-mask"),
    (with_mitigations([{"kind": "divergence-mask"}, {"kind": "divergence-mask", "label": "mask-2"}]),
     "b.mitigations: 2 loss mitigations (divergence-mask, divergence-mask); a student trains with one loss: accepted at most one"),
    (with_mitigations([{"kind": "paraphrase"}, {"kind": "paraphrase"}]), "b.mitigations: 'paraphrase' given twice"),
    (with_mitigations([{"kind": "scrub"}]), "b.mitigations.0: unknown mitigation 'scrub'"),
    (with_mitigations([{"kind": "paraphrase"}], factors=["teacher"]),
     "factors: a.filters/mitigations and b.filters/mitigations differ but 'filter' is not crossed"),
])
def test_mitigations_a_diffing_cell_cannot_honour_are_refused_by_field(data, message):
    with pytest.raises(ConfigError) as err:
        load(data)
    assert message in str(err.value)
