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
